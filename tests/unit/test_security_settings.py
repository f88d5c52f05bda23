"""Security settings reach every Kafka client; Faust's own environment variables reach none.

The TLS files are a CA and a client certificate made here with the ``cryptography``
package; the clients are real aiokafka and Faust objects (built, not connected).
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
from pathlib import Path

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.settings import Settings as FaustSettings

from workers.settings import (
    FAUST_IMPORT_TIME_VARIABLES,
    FAUST_SETTINGS_VARIABLES,
    SettingsError,
    load_settings,
    scrub_faust_environment,
)

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402  (after the skip)
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool,
) -> bytes:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA, a client certificate it signed, the client key, and an unrelated key."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, client_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    files = {
        "ca": folder / "ca.pem",
        "cert": folder / "client.pem",
        "key": folder / "client.key",
        "other_key": folder / "other.key",
    }
    files["ca"].write_bytes(
        _certificate("conflictwire test CA", ca_key, "conflictwire test CA", ca_key, True)
    )
    files["cert"].write_bytes(_certificate("worker", client_key, "conflictwire test CA", ca_key, False))
    files["key"].write_bytes(_key_pem(client_key))
    files["other_key"].write_bytes(_key_pem(other_key))
    return files


def _mutual_tls_env(tls_files: dict[str, Path], **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9093",
        "CONFLICTWIRE_SECURITY_PROTOCOL": "SSL",
        "CONFLICTWIRE_SSL_CAFILE": str(tls_files["ca"]),
        "CONFLICTWIRE_SSL_CERTFILE": str(tls_files["cert"]),
        "CONFLICTWIRE_SSL_KEYFILE": str(tls_files["key"]),
        **extra,
    }


def test_plaintext_by_default_for_aiokafka_and_faust() -> None:
    settings = load_settings({})
    assert settings.kafka_client_options() == {"security_protocol": "PLAINTEXT"}
    assert settings.faust_options()["broker_credentials"] is None


def test_mutual_tls_context_trusts_our_ca_and_carries_the_client_certificate(
    tls_files: dict[str, Path],
) -> None:
    options = load_settings(_mutual_tls_env(tls_files)).kafka_client_options()
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    subjects = [dict(pair[0] for pair in cert["subject"]) for cert in context.get_ca_certs()]
    assert {"commonName": "conflictwire test CA"} in subjects
    assert "sasl_mechanism" not in options


def test_hostname_check_can_be_turned_off_but_not_verification(tls_files: dict[str, Path]) -> None:
    env = _mutual_tls_env(tls_files, CONFLICTWIRE_SSL_CHECK_HOSTNAME="false")
    context = load_settings(env).kafka_client_options()["ssl_context"]
    assert context.check_hostname is False
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_a_key_that_does_not_match_the_certificate_is_a_settings_error(tls_files: dict[str, Path]) -> None:
    settings = load_settings(_mutual_tls_env(tls_files, CONFLICTWIRE_SSL_KEYFILE=str(tls_files["other_key"])))
    with pytest.raises(SettingsError, match="TLS files"):
        settings.kafka_client_options()


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_over_tls_for_every_mechanism(tls_files: dict[str, Path], mechanism: str) -> None:
    settings = load_settings(
        {
            "CONFLICTWIRE_SECURITY_PROTOCOL": "sasl_ssl",
            "CONFLICTWIRE_SASL_MECHANISM": mechanism.lower(),
            "CONFLICTWIRE_SASL_USERNAME": "worker",
            "CONFLICTWIRE_SASL_PASSWORD": "s3cret",
            "CONFLICTWIRE_SSL_CAFILE": str(tls_files["ca"]),
        }
    )
    options = settings.kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == mechanism
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("worker", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    # Faust turns its credentials into the same aiokafka options
    faust_auth = credentials_to_aiokafka_auth(settings.faust_options()["broker_credentials"])
    assert {k: v for k, v in faust_auth.items() if k != "ssl_context"} == {
        k: v for k, v in options.items() if k != "ssl_context"
    }
    assert isinstance(faust_auth["ssl_context"], ssl.SSLContext)
    assert "s3cret" not in repr(settings)


def test_sasl_without_tls_has_no_context() -> None:
    options = load_settings(
        {
            "CONFLICTWIRE_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "CONFLICTWIRE_SASL_MECHANISM": "SCRAM-SHA-256",
            "CONFLICTWIRE_SASL_USERNAME": "u",
            "CONFLICTWIRE_SASL_PASSWORD": "p",
        }
    ).kafka_client_options()
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "u",
        "sasl_plain_password": "p",
    }


async def test_aiokafka_clients_accept_the_options(tls_files: dict[str, Path]) -> None:
    # aiokafka checks protocol, mechanism and context when a client is built; none connects here
    for env in (
        _mutual_tls_env(tls_files),
        {
            "CONFLICTWIRE_SECURITY_PROTOCOL": "SASL_SSL",
            "CONFLICTWIRE_SASL_MECHANISM": "SCRAM-SHA-512",
            "CONFLICTWIRE_SASL_USERNAME": "u",
            "CONFLICTWIRE_SASL_PASSWORD": "p",
        },
    ):
        options = load_settings(env).kafka_client_options()
        producer = AIOKafkaProducer(bootstrap_servers="kafka.example:9093", **options)
        consumer = AIOKafkaConsumer(bootstrap_servers="kafka.example:9093", **options)
        admin = AIOKafkaAdminClient(bootstrap_servers="kafka.example:9093", **options)
        assert producer.client._security_protocol == options["security_protocol"]
        assert consumer._client._ssl_context is options["ssl_context"]
        assert admin._client._sasl_mechanism == options.get("sasl_mechanism", "PLAIN")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CONFLICTWIRE_SECURITY_PROTOCOL": "TLS"}, "CONFLICTWIRE_SECURITY_PROTOCOL"),
        ({"CONFLICTWIRE_SASL_MECHANISM": "GSSAPI"}, "CONFLICTWIRE_SASL_MECHANISM"),
        ({"CONFLICTWIRE_SECURITY_PROTOCOL": "SASL_SSL"}, "CONFLICTWIRE_SASL_USERNAME"),
        ({"CONFLICTWIRE_SECURITY_PROTOCOL": "SSL", "CONFLICTWIRE_SSL_CERTFILE": "c.pem"}, "KEYFILE"),
        ({"CONFLICTWIRE_SSL_CAFILE": "ca.pem"}, "does not use TLS"),
        ({"CONFLICTWIRE_SSL_CHECK_HOSTNAME": "maybe"}, "CONFLICTWIRE_SSL_CHECK_HOSTNAME"),
    ],
)
def test_inconsistent_security_settings_are_refused(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


def test_security_settings_travel_to_a_child_process(tls_files: dict[str, Path]) -> None:
    settings = load_settings(
        _mutual_tls_env(tls_files, CONFLICTWIRE_SSL_KEY_PASSWORD="kp", CONFLICTWIRE_SSL_CHECK_HOSTNAME="no")
    )
    assert load_settings(settings.to_env()) == settings


def test_faust_environment_variables_do_not_reach_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "WEB_BIND": "0.0.0.0",
        "WEB_PORT": "1234",
        "WEB_HOST": "attacker.example",
        "BROKER_URL": "kafka://attacker.example:9092",
        "PROCESSING_GUARANTEE": "exactly_once",
        "APP_STORE": "rocksdb://",
        "APP_WEB_TABLES_ENABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings({"KAFKA_BOOTSTRAP_SERVERS": "k1:9092", "CONFLICTWIRE_WEB_PORT": "6070"})
    conf = faust.App(settings.app_id, **settings.faust_options()).conf
    assert conf.web_bind == "127.0.0.1"
    assert (conf.web_host, conf.web_port) == ("127.0.0.1", 6070)
    assert [str(url) for url in conf.broker] == ["kafka://k1:9092"]
    assert conf.processing_guarantee.value == "at_least_once"
    assert str(conf.store) == "memory:"
    assert not (conf.web_tables_enabled or conf.web_router_enabled or conf.web_graph_enabled)
    # the same app without our options would have taken them: the test sees a real leak
    assert faust.App("leaky").conf.web_bind == "0.0.0.0"


def test_web_host_is_loopback_unless_set() -> None:
    assert load_settings({}).web_host == "127.0.0.1"
    assert load_settings({"CONFLICTWIRE_WEB_HOST": ""}).web_host == "127.0.0.1"
    assert load_settings({"CONFLICTWIRE_WEB_HOST": "0.0.0.0"}).faust_options()["web_bind"] == "0.0.0.0"


def test_scrub_removes_faust_variables_and_nothing_else() -> None:
    environ = {
        "WEB_BIND": "0.0.0.0",
        "BROKER_URL": "kafka://x:1",
        "FAUST_DEBUG": "1",
        "F_DATADIR": "/tmp/x",
        "FAUST_LOOP": "eventlet",
        "PATH": "/usr/bin",
        "CONFLICTWIRE_WEB_HOST": "127.0.0.1",
        "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
    }
    removed = scrub_faust_environment(environ)
    assert removed == ["BROKER_URL", "FAUST_DEBUG", "FAUST_LOOP", "F_DATADIR", "WEB_BIND"]
    assert environ == {
        "PATH": "/usr/bin",
        "CONFLICTWIRE_WEB_HOST": "127.0.0.1",
        "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
    }


def test_the_scrub_list_covers_every_setting_the_installed_faust_reads() -> None:
    read_by_faust = {param.env_name for param in FaustSettings.SETTINGS.values() if param.env_name}
    assert read_by_faust <= set(FAUST_SETTINGS_VARIABLES)
    assert {"FAUST_DEBUG", "F_DEBUG", "FAUST_F_WEB_BIND", "F_WORKDIR"} <= set(FAUST_IMPORT_TIME_VARIABLES)


def test_every_command_scrubs_faust_variables_before_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from workers.cli import main

    monkeypatch.setenv("WEB_BIND", "0.0.0.0")
    monkeypatch.setenv("FAUST_DEBUG", "1")
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    result = CliRunner().invoke(main, ["tail", "events.enriched"])
    assert "KAFKA_BOOTSTRAP_SERVERS is not set" in result.output  # the command itself ran and refused
    assert "WEB_BIND" not in os.environ and "FAUST_DEBUG" not in os.environ
