"""Every manifest in deploy/k8s is valid offline, and agrees with the application it deploys.

Core kinds go through kubernetes-validate (the Kubernetes 1.37 schemas, strict: unknown fields
fail); the custom resources (Strimzi KafkaTopic, KEDA ScaledObject, Prometheus Operator
ServiceMonitor) through our reduced JSON Schemas in deploy/k8s/schemas. Then the facts that
tie the manifests to the code: a KafkaTopic for every topic and changelog the app uses, with
the settings' partition count; compaction where the README promises it; KEDA capped at the
partition count; probes on /healthz and /readyz.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from workers import codec
from workers.runner import topic_partitions
from workers.settings import load_settings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.37.0"
CORE_KINDS = {"Deployment", "StatefulSet", "Service", "ConfigMap"}
CRD_SCHEMAS = {"KafkaTopic": "kafkatopic", "ScaledObject": "scaledobject", "ServiceMonitor": "servicemonitor"}


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def documents() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in manifest_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                found.append((path, doc))
    return found


def of_kind(kind: str, folder: str | None = None) -> list[dict[str, Any]]:
    return [d for p, d in documents() if d["kind"] == kind and (folder is None or p.parent.name == folder)]


@cache
def crd_validator(kind: str) -> Draft202012Validator:
    schemas = K8S / "schemas"
    registry: Registry = Registry()
    for path in schemas.glob("*.json"):
        contents = codec.loads(path.read_bytes())
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents))
    schema = codec.loads((schemas / f"{CRD_SCHEMAS[kind]}.json").read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


@pytest.mark.parametrize(
    ("path", "doc"),
    documents(),
    ids=lambda v: v.name if isinstance(v, Path) else v.get("metadata", {}).get("name"),
)
def test_manifest_is_valid(path: Path, doc: dict[str, Any]) -> None:
    kind = doc["kind"]
    if kind in CORE_KINDS:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    elif kind in CRD_SCHEMAS:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in crd_validator(kind).iter_errors(doc)]
        assert errors == [], f"{path.name}: {errors}"
    else:
        pytest.fail(f"{path.name}: no schema for kind {kind}")


def test_the_reduced_schemas_reject_what_they_should() -> None:
    topic = of_kind("KafkaTopic")[0]
    assert not crd_validator("KafkaTopic").is_valid({**topic, "spec": {**topic["spec"], "partitons": 4}})
    unlabelled = {**topic, "metadata": {"name": "x"}}
    assert not crd_validator("KafkaTopic").is_valid(unlabelled)  # the Topic Operator needs its cluster label
    scaled = of_kind("ScaledObject")[0]
    kafka = {**scaled["spec"]["triggers"][0], "metadata": {"bootstrapServers": "k:9092"}}
    assert not crd_validator("ScaledObject").is_valid(
        {**scaled, "spec": {**scaled["spec"], "triggers": [kafka]}}
    )
    monitor = of_kind("ServiceMonitor")[0]
    endpoint = {**monitor["spec"]["endpoints"][0], "interval": "30 seconds"}
    spec = {**monitor["spec"], "endpoints": [endpoint]}
    assert not crd_validator("ServiceMonitor").is_valid({**monitor, "spec": spec})


def test_kustomizations_list_files_that_exist() -> None:
    for kustomization in K8S.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(kustomization.read_text())["resources"]:
            assert (kustomization.parent / resource).exists(), f"{kustomization}: {resource}"


def app_topics() -> tuple[dict[str, int], set[str]]:
    """Every topic of the deployed app (default settings): name -> partitions, and the compacted ones."""
    from workers.app import build_app

    settings = load_settings({})
    partitions, compacted = topic_partitions(settings)
    changelogs = {t.changelog_topic.get_topic_name() for t in build_app(settings).app.tables.values()}
    state = f"{settings.topics.prefix}feeds.state"
    every = {**partitions, **dict.fromkeys(changelogs, settings.partitions), state: settings.partitions}
    return every, {*compacted, *changelogs, state}


def test_every_topic_has_a_kafkatopic_with_its_partitions_and_cleanup_policy() -> None:
    wanted, compacted = app_topics()
    declared = {t["spec"]["topicName"]: t["spec"] for t in of_kind("KafkaTopic")}
    assert set(declared) == set(wanted)
    for name, spec in declared.items():
        assert spec["partitions"] == wanted[name], name
        policy = spec["config"]["cleanup.policy"]
        if name in compacted:
            assert policy == "compact", name
        else:
            assert policy == "delete" and spec["config"]["retention.ms"] > 0, name


@pytest.mark.parametrize("variant", ["memory", "rocksdb"])
def test_keda_scales_the_worker_up_to_the_partition_count(variant: str) -> None:
    (scaled,) = of_kind("ScaledObject", variant)
    (worker,) = [
        d
        for d in documents()
        if d[0].parent.name == variant and d[1]["kind"] in ("Deployment", "StatefulSet")
    ]
    config = of_kind("ConfigMap")[0]["data"]
    target = scaled["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == (worker[1]["kind"], worker[1]["metadata"]["name"])
    assert scaled["spec"]["maxReplicaCount"] == int(config["CONFLICTWIRE_PARTITIONS"])
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == config["CONFLICTWIRE_APP_ID"]
    assert trigger["metadata"]["bootstrapServers"] == config["KAFKA_BOOTSTRAP_SERVERS"]


@pytest.mark.parametrize("variant", ["memory", "rocksdb"])
def test_worker_probes_and_resources(variant: str) -> None:
    (worker,) = [
        d for p, d in documents() if p.parent.name == variant and d["kind"] in ("Deployment", "StatefulSet")
    ]
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    port = container["ports"][0]["containerPort"]
    assert port == int(of_kind("ConfigMap")[0]["data"]["CONFLICTWIRE_WEB_PORT"])
    requested = container["resources"]["requests"]["memory"]
    assert requested.endswith("Mi") and 700 <= int(requested[:-2]) <= 1280  # measured peak RSS with the model
    store = {e["name"]: e["value"] for e in container.get("env", [])}.get("CONFLICTWIRE_TABLE_STORE")
    if variant == "rocksdb":
        assert worker["kind"] == "StatefulSet" and store == "rocksdb://"
        assert worker["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    else:
        assert worker["kind"] == "Deployment" and store is None  # memory:// from the ConfigMap


def test_the_service_monitor_scrapes_the_metrics_ports() -> None:
    (monitor,) = of_kind("ServiceMonitor")
    ports = {p["name"] for s in of_kind("Service") for p in s["spec"]["ports"]}
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports
    assert all(e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])
