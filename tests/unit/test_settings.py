"""Settings: one validated, frozen object; a bad value stops start-up naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agents.settings import Settings, SettingsError, load_settings, settings_markdown


def test_defaults_are_sane_without_any_variable():
    s = load_settings({})
    assert s.broker_url is None
    assert s.web_host == "127.0.0.1"
    assert s.web_port == 6066
    assert s.posts_topic == "posts"
    assert s.dlq_topic == "posts.dlq"
    assert s.max_message_bytes == 1_000_000


def test_values_come_from_brandpulse_variables_with_their_types():
    s = load_settings({"BRANDPULSE_BROKER_URL": "kafka://k1:9092,k2:9093", "BRANDPULSE_WEB_PORT": "7000",
                       "BRANDPULSE_TOPIC_PREFIX": "prod.", "BRANDPULSE_LOG_LEVEL": "WARNING"})
    assert s.bootstrap_servers == ["k1:9092", "k2:9093"]
    assert s.web_port == 7000
    assert s.enriched_topic == "prod.posts.enriched"
    assert s.log_level == "warn"


def test_faust_own_variables_are_not_a_way_in():
    s = load_settings({"BROKER_URL": "kafka://elsewhere:9092", "WEB_PORT": "1234"})
    assert s.broker_url is None
    assert s.web_port == 6066


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BRANDPULSE_WEB_PORT": "70000"}, "BRANDPULSE_WEB_PORT=70000: Input should be less than or equal to 65535"),
        ({"BRANDPULSE_WEB_PORT": "http"}, "BRANDPULSE_WEB_PORT=http: Input should be a valid integer"),
        ({"BRANDPULSE_TOPIC_PARTITIONS": "0"}, "BRANDPULSE_TOPIC_PARTITIONS=0: Input should be greater than or equal to 1"),
        ({"BRANDPULSE_BROKER_URL": "localhost:9092"}, "BRANDPULSE_BROKER_URL: must start with kafka://"),
        ({"BRANDPULSE_BROKER_URL": "kafka://localhost"}, "BRANDPULSE_BROKER_URL: 'localhost' is not host:port"),
        ({"BRANDPULSE_BROKER_URL": "kafka://"}, "BRANDPULSE_BROKER_URL: names no host"),
        ({"BRANDPULSE_LOG_LEVEL": "loud"}, "BRANDPULSE_LOG_LEVEL=loud: Input should be"),
        ({"BRANDPULSE_APP_ID": "my app"}, "BRANDPULSE_APP_ID=my app: must be 1-200 characters"),
        ({"BRANDPULSE_HEARTBEAT_INTERVAL_SECONDS": "5"}, "BRANDPULSE_HEARTBEAT_INTERVAL_SECONDS must be under a third"),
        ({"BRANDPULSE_STATE_BATCH_WITHIN_SECONDS": "6", "BRANDPULSE_SESSION_TIMEOUT_SECONDS": "10"},
         "BRANDPULSE_STATE_BATCH_WITHIN_SECONDS must be under half of BRANDPULSE_SESSION_TIMEOUT_SECONDS"),
        ({"BRANDPULSE_BROKER": "kafka://x:1"}, "BRANDPULSE_BROKER: no such setting (did you mean BRANDPULSE_BROKER_URL?)"),
        ({"BRANDPULSE_ALERTMANAGER_URL": "alertmanager:9093"}, "BRANDPULSE_ALERTMANAGER_URL: must be an http://"),
        ({"BRANDPULSE_DASHBOARD_URL": "http://g/d?x={nope}"}, "BRANDPULSE_DASHBOARD_URL: only {topic}, {brand}"),
        ({"BRANDPULSE_CRISIS_SCOPE": "some"}, "BRANDPULSE_CRISIS_SCOPE=some: Input should be 'all', 'watched' or 'off'"),
        ({"BRANDPULSE_CRISIS_PRIOR_SHARE": "1.5"}, "BRANDPULSE_CRISIS_PRIOR_SHARE=1.5: Input should be less than 1"),
        ({"BRANDPULSE_CRISIS_WARNING_RATIO": "20"}, "BRANDPULSE_CRISIS_WARNING_RATIO must not exceed"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(env, message):
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert message in str(info.value)


def test_every_bad_variable_is_reported_at_once():
    with pytest.raises(SettingsError) as info:
        load_settings({"BRANDPULSE_WEB_PORT": "0", "BRANDPULSE_MAX_TERMS": "-1"})
    assert "BRANDPULSE_WEB_PORT" in str(info.value)
    assert "BRANDPULSE_MAX_TERMS" in str(info.value)


def test_settings_are_frozen():
    s = load_settings({})
    with pytest.raises(ValidationError):
        s.web_port = 1  # type: ignore[misc]


def test_every_setting_is_documented_and_docs_are_current():
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
    docs = Path(__file__).resolve().parents[2] / "docs" / "settings.md"
    assert docs.read_text() == settings_markdown(), "regenerate: brandpulse settings --markdown > docs/settings.md"


def test_a_watchlist_comes_from_json_or_a_file(tmp_path):
    inline = load_settings({"BRANDPULSE_WATCHLIST": '{"acme": ["#acme", "acme corp"]}'})
    assert inline.watchlists.names == ("acme",)
    f = tmp_path / "watch.json"
    f.write_text('{"acme": ["@acme"]}')
    assert load_settings({"BRANDPULSE_WATCHLIST_FILE": str(f)}).watchlists.brands[0].topics == {"@acme"}
    assert not load_settings({}).watchlists


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BRANDPULSE_WATCHLIST": "{nope"}, "BRANDPULSE_WATCHLIST: not JSON"),
        ({"BRANDPULSE_WATCHLIST": '{"acme": ["#two words"]}'}, "BRANDPULSE_WATCHLIST: brand 'acme'"),
        ({"BRANDPULSE_WATCHLIST_FILE": "/no/such.json"}, "BRANDPULSE_WATCHLIST_FILE=/no/such.json: cannot read"),
    ],
)
def test_a_bad_watchlist_stops_start_up_naming_the_variable(env, message):
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert message in str(info.value)


def test_a_watchlist_given_twice_is_refused(tmp_path):
    f = tmp_path / "watch.json"
    f.write_text('{"acme": ["@acme"]}')
    with pytest.raises(SettingsError) as info:
        load_settings({"BRANDPULSE_WATCHLIST": '{"a": ["#a"]}', "BRANDPULSE_WATCHLIST_FILE": str(f)})
    assert "set BRANDPULSE_WATCHLIST or BRANDPULSE_WATCHLIST_FILE, not both" in str(info.value)


def test_the_shipped_influence_weights_load_by_default_and_a_file_can_replace_them(tmp_path):
    import json

    shipped = load_settings({}).influence_weights
    assert shipped.model == "logistic" and len(shipped.coef) == 5
    own = tmp_path / "w.json"
    own.write_text(json.dumps(shipped.to_json() | {"coef": [1, 1, 1, 1, 1]}))
    assert load_settings({"BRANDPULSE_INFLUENCE_WEIGHTS_FILE": str(own)}).influence_weights.coef == (1, 1, 1, 1, 1)


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read"),
    ("{not json", "is not JSON"),
    ('{"features": ["followers"], "coef": [1], "mean": [0], "std": [1]}', "'features' must be"),
])
def test_bad_influence_weights_stop_start_up_naming_the_variable(tmp_path, content, message):
    path = tmp_path / "weights.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError) as exc:
        load_settings({"BRANDPULSE_INFLUENCE_WEIGHTS_FILE": str(path)})
    assert "BRANDPULSE_INFLUENCE_WEIGHTS_FILE" in str(exc.value) and message in str(exc.value)


def test_the_crisis_settings_are_the_detectors_thresholds():
    cfg = load_settings({"BRANDPULSE_CRISIS_MIN_NEGATIVES": "25", "BRANDPULSE_CRISIS_QUIET_MINUTES": "30"}).crisis_config()
    assert cfg.min_negatives == 25 and cfg.quiet_minutes == 30
    assert load_settings({}).crisis_config().share_threshold == 8.0


# --- Kafka security ---------------------------------------------------------------------------------

def test_plaintext_is_the_default_and_needs_no_credentials():
    s = load_settings({})
    assert s.kafka_client_options() == {"security_protocol": "PLAINTEXT"}
    assert s.faust_credentials() is None


def test_sasl_ssl_gives_faust_and_aiokafka_the_same_login_and_tls():
    import ssl

    import certifi
    import faust

    s = load_settings({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "BRANDPULSE_KAFKA_SASL_USERNAME": "bp",
                       "BRANDPULSE_KAFKA_SASL_PASSWORD": "s3cret", "BRANDPULSE_KAFKA_SSL_CA_FILE": certifi.where()})
    options = s.kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "bp" and options["sasl_plain_password"] == "s3cret"
    assert isinstance(options["ssl_context"], ssl.SSLContext) and options["ssl_context"].check_hostname
    creds = s.faust_credentials()
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.protocol.value == "SASL_SSL" and creds.mechanism.value == "SCRAM-SHA-512"
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    auth = credentials_to_aiokafka_auth(creds)
    assert {k: auth[k] for k in ("security_protocol", "sasl_mechanism", "sasl_plain_username")} == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "bp"}


def test_tls_alone_uses_the_system_cas_unless_told_otherwise():
    import faust

    s = load_settings({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SSL"})
    assert isinstance(s.faust_credentials(), faust.SSLCredentials)
    assert "sasl_mechanism" not in s.kafka_client_options()


@pytest.mark.parametrize(("env", "names"), [
    ({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "BRANDPULSE_KAFKA_SASL_USERNAME and "
     "BRANDPULSE_KAFKA_SASL_PASSWORD"),
    ({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "BRANDPULSE_KAFKA_SASL_USERNAME": "bp"},
     "BRANDPULSE_KAFKA_SASL_PASSWORD"),
    ({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "TLS"}, "BRANDPULSE_KAFKA_SECURITY_PROTOCOL"),
    ({"BRANDPULSE_KAFKA_SASL_MECHANISM": "GSSAPI"}, "BRANDPULSE_KAFKA_SASL_MECHANISM"),
    ({"BRANDPULSE_KAFKA_SSL_CA_FILE": "/etc/hostname"}, "BRANDPULSE_KAFKA_SSL_CA_FILE is set but"),
    ({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SSL", "BRANDPULSE_KAFKA_SSL_CA_FILE": "/nonexistent/ca.pem"},
     "BRANDPULSE_KAFKA_SSL_CA_FILE=/nonexistent/ca.pem: cannot load"),
    ({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SSL", "BRANDPULSE_KAFKA_SSL_KEY_FILE": "/k.pem"},
     "BRANDPULSE_KAFKA_SSL_KEY_FILE needs BRANDPULSE_KAFKA_SSL_CERT_FILE"),
])
def test_bad_kafka_security_stops_start_up_naming_the_variable(env, names):
    with pytest.raises(SettingsError) as exc:
        load_settings(env)
    assert names in str(exc.value)


def test_a_bad_client_certificate_is_reported_at_start_up(tmp_path):
    cert = tmp_path / "client.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    with pytest.raises(SettingsError) as exc:
        load_settings({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SSL", "BRANDPULSE_KAFKA_SSL_CERT_FILE": str(cert)})
    assert f"BRANDPULSE_KAFKA_SSL_CERT_FILE={cert}: cannot load the client certificate" in str(exc.value)


def test_the_sasl_password_is_never_echoed_in_an_error():
    with pytest.raises(SettingsError) as exc:
        load_settings({"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "BRANDPULSE_KAFKA_SASL_PASSWORD": "hunter2",
                       "BRANDPULSE_KAFKA_SSL_CHECK_HOSTNAME": "maybe"})
    assert "hunter2" not in str(exc.value) and "BRANDPULSE_KAFKA_SSL_CHECK_HOSTNAME" in str(exc.value)


def test_sasl_plain_over_plaintext_is_refused_unless_explicitly_allowed():
    env = {"BRANDPULSE_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "BRANDPULSE_KAFKA_SASL_MECHANISM": "PLAIN",
           "BRANDPULSE_KAFKA_SASL_USERNAME": "bp", "BRANDPULSE_KAFKA_SASL_PASSWORD": "pw"}
    with pytest.raises(SettingsError) as exc:
        load_settings(env)
    assert "sends the password unencrypted" in str(exc.value) and "BRANDPULSE_KAFKA_ALLOW_PLAINTEXT_SASL" in str(exc.value)
    assert load_settings({**env, "BRANDPULSE_KAFKA_ALLOW_PLAINTEXT_SASL": "true"}).kafka_client_options()[
        "security_protocol"] == "SASL_PLAINTEXT"
    scram = load_settings({**env, "BRANDPULSE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256"})
    assert scram.kafka_client_options()["sasl_mechanism"] == "SCRAM-SHA-256"


def test_the_web_token_must_be_long_and_is_never_echoed():
    with pytest.raises(SettingsError) as exc:
        load_settings({"BRANDPULSE_WEB_TOKEN": "short secret"})
    assert "BRANDPULSE_WEB_TOKEN: must be at least 16 characters" in str(exc.value)
    assert "short secret" not in str(exc.value)
    assert load_settings({"BRANDPULSE_WEB_TOKEN": "x" * 32}).web_token == "x" * 32
    assert load_settings({"BRANDPULSE_WEB_TOKEN": ""}).web_token is None


def test_the_worker_collects_cycles_at_the_configured_threshold_and_freezes_start_up_objects():
    import gc

    from agents.cli import configure_gc

    before = gc.get_threshold()
    try:
        configure_gc(12_345)
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_gc_threshold_below_the_floor_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match="BRANDPULSE_GC_THRESHOLD"):
        load_settings({"BRANDPULSE_GC_THRESHOLD": "10"})
