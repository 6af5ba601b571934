#!/usr/bin/env python3
"""Checks samples/ (systemd units, Kubernetes manifests, the Dockerfile and
their configs) the way an operator would before installing them.

  check_samples.py CHECK SOURCE_DIR BUILD_DIR

CHECK is one of: configs, command-lines, systemd, systemd-verify, kubernetes,
dockerfile, dockerfile-libraries. Exit 0: passed; 1: failed (each problem on
stderr); 77: skipped (what is missing to run it is on stdout).
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
problems = []


def fail(message):
    problems.append(message)


def skip(message):
    print("SKIP: " + message)
    sys.exit(SKIP)


def finish(what):
    if problems:
        for p in problems:
            print("FAIL: " + p, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)
    sys.exit(0)


def load_yaml_documents(path):
    try:
        import yaml
    except ImportError:
        print("FAIL: python3's yaml module is missing (Debian: python3-yaml; "
              "scripts/install-deps.sh installs it)", file=sys.stderr)
        sys.exit(1)
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# --------------------------------------------------------------------------
# The samples, read.

class Samples:
    def __init__(self, source_dir):
        self.root = os.path.join(source_dir, "samples")
        self.systemd_dir = os.path.join(self.root, "systemd")
        self.kube_dir = os.path.join(self.root, "kubernetes")
        self.dockerfile = os.path.join(self.root, "docker", "Dockerfile")

    def kube_objects(self):
        """(file, object) for every manifest in samples/kubernetes."""
        out = []
        for name in sorted(os.listdir(self.kube_dir)):
            if name.endswith((".yaml", ".yml")):
                for doc in load_yaml_documents(os.path.join(self.kube_dir, name)):
                    out.append((name, doc))
        return out

    def configs(self):
        """(label, text) of every sample config: the files and the ConfigMap's."""
        out = []
        for label in ("docker/tether.json", "systemd/tether.json"):
            with open(os.path.join(self.root, label)) as f:
                out.append((label, f.read()))
        for file, obj in self.kube_objects():
            if obj.get("kind") == "ConfigMap":
                for key, text in (obj.get("data") or {}).items():
                    if key.endswith(".json"):
                        out.append(("kubernetes/%s %s %s" % (file, obj["metadata"]["name"], key), text))
        return out


def env_names(text):
    """The ${NAME} a config reads from the environment ($${ is a literal)."""
    return sorted(set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)))


def listen_of(config):
    listen = config.get("server", {}).get("listen", "127.0.0.1:8080")
    m = re.fullmatch(r"\[?([^\]]*)\]?:(\d+)", listen)
    if not m:
        fail("server.listen %r is not HOST:PORT" % listen)
        return None, None
    return m.group(1), int(m.group(2))


def grace_of(config):
    return config.get("server", {}).get("shutdown_grace_seconds", 20)


def plugin_settings(config, name):
    for p in config.get("plugins", []):
        if p.get("name") == name:
            return p.get("settings", {})
    return None


def option_value(argv, option):
    for i, a in enumerate(argv):
        if a == option and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(option + "="):
            return a[len(option) + 1:]
    return None


GLOBAL_OPTIONS_WITH_VALUE = {"--config", "--tenant", "--log-format"}


def split_globals(argv):
    """argv after the binary as (the global options before the command, the rest)."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in GLOBAL_OPTIONS_WITH_VALUE else 1
    return argv[:i], argv[i:]


def subcommand_of(argv):
    """argv after the binary: the command and its arguments, without the global options."""
    return split_globals(argv)[1]


def under(path, folder):
    path, folder = os.path.normpath(path), os.path.normpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# --------------------------------------------------------------------------
# configs: every sample config loads in the real tether, its plugins too.

def check_configs(samples, build_dir):
    tether = os.path.join(build_dir, "bin", "tether")
    if not os.access(tether, os.X_OK):
        fail("no tether binary at %s (build it: ninja -C build tether_bundle)" % tether)
        return
    pg_dir = os.environ.get("TETHER_TEST_PG_DIR")
    for label, text in samples.configs():
        work = tempfile.mkdtemp(prefix="tether-sample-config-")
        try:
            config_path = os.path.join(work, "tether.json")
            with open(config_path, "w") as f:
                f.write(text)
            try:
                config = json.loads(text)
            except ValueError as e:
                fail("%s: not JSON: %s" % (label, e))
                continue
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work}
            database = config.get("database", "")
            m = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", database)
            db_name = None
            if pg_dir:
                with open(os.path.join(pg_dir, "url")) as f:
                    admin_url = f.read().strip()
                db_name = "samples_%d" % os.getpid()
                subprocess.run(["psql", "-q", admin_url, "-c", "CREATE DATABASE %s" % db_name], check=True)
                url = admin_url.rsplit("/", 1)[0] + "/" + db_name
            else:
                url = "sqlite:" + os.path.join(work, "tether.db")
            for name in env_names(text):
                env[name] = "dummy-" + name.lower()
            if m:
                env[m.group(1)] = url
            elif not database.startswith("sqlite:"):
                fail("%s: database %r is neither ${VAR} nor sqlite:, so this test cannot point it "
                     "at a database of its own" % (label, database))
                continue
            run = lambda *args: subprocess.run([tether, "--config", config_path] + list(args), env=env,
                                               cwd=work, capture_output=True, text=True)
            try:
                applied = run("migrate", "apply")
                if applied.returncode != 0:
                    fail("%s: tether migrate apply exited %d: %s" % (label, applied.returncode,
                                                                     applied.stderr.strip()))
                    continue
                listed = run("--json", "plugins", "check")
                try:
                    loaded = {p["name"]: p for p in json.loads(listed.stdout)["plugins"]}
                except (ValueError, KeyError):
                    fail("%s: tether plugins check exited %d: %s %s" % (label, listed.returncode,
                                                                        listed.stderr.strip(), listed.stdout.strip()))
                    continue
                for p in loaded.values():
                    if p.get("state") != "loaded":
                        fail("%s: plugin %s is %s: %s" % (label, p["name"], p.get("state"), p.get("error")))
                if listed.returncode != 0:
                    fail("%s: tether plugins check exited %d" % (label, listed.returncode))
                wanted = [p["name"] for p in config.get("plugins", [])]
                for name in wanted:
                    if name not in loaded:
                        fail("%s: plugin %s is not in tether's list" % (label, name))
                if not wanted:
                    fail("%s: lists no plugins: a sync needs a provider and a storage" % label)
                print("%s: config and its %d plugins load (%s)" % (label, len(wanted), url.split(":")[0]))
            finally:
                if db_name:
                    subprocess.run(["psql", "-q", admin_url, "-c", "DROP DATABASE IF EXISTS %s" % db_name])
        finally:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------
# Command lines: what the samples run, against the CLI's own --help.

def sample_command_lines(samples):
    """(where, argv after the binary) of every tether command the samples run."""
    out = []
    for name, unit in read_units(samples).items():
        for line in unit.get("Service", {}).get("ExecStart", []):
            argv = shlex.split(line.lstrip("-@:+!"))
            out.append(("systemd/" + name, argv[1:]))
    for file, obj in samples.kube_objects():
        for c in containers_of(obj):
            out.append(("kubernetes/%s %s" % (file, c["name"]), list(c.get("command", [])[1:]) + list(c.get("args", []))))
    stage = dockerfile_stages(samples.dockerfile)[-1]
    out.append(("docker/Dockerfile CMD", exec_form(stage, "CMD")))
    return out


def options_in_help(tether, words):
    result = subprocess.run([tether] + words + ["--help"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", result.stdout))


def check_command_lines(samples, build_dir):
    tether = os.path.join(build_dir, "bin", "tether")
    global_options = options_in_help(tether, [])
    for where, argv in sample_command_lines(samples):
        for a in split_globals(argv)[0]:
            if a.startswith("-") and a.split("=")[0] not in global_options:
                fail("%s: %s is not a global option of tether" % (where, a))
        words = subcommand_of(argv)
        command = []
        for w in words:  # the command and its subcommands: the words before the first option
            if w.startswith("-"):
                break
            command.append(w)
        known = options_in_help(tether, command)
        if not command or known is None:
            fail("%s: tether has no command %r" % (where, " ".join(command)))
            continue
        for a in words[len(command):]:
            if a.startswith("-") and a.split("=")[0] not in known:
                fail("%s: tether %s has no option %s" % (where, " ".join(command), a))
        print("%s: tether %s" % (where, " ".join(argv)))


# --------------------------------------------------------------------------
# systemd

def read_unit(path):
    """{section: {key: [values]}}; comments and blank lines skipped."""
    sections, current = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
                continue
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def read_units(samples):
    return {name: read_unit(os.path.join(samples.systemd_dir, name))
            for name in sorted(os.listdir(samples.systemd_dir))
            if name.endswith((".service", ".timer"))}


def seconds(text):
    """A systemd time span ("30s", "1min 30s", "90") in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600, "ms": 0.001}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text):
        if unit not in units:
            raise ValueError("unknown time unit in %r" % text)
        total += float(number) * units[unit]
    return total


def last(unit, section, key, default=None):
    values = unit.get(section, {}).get(key)
    return values[-1] if values else default


def check_systemd(samples):
    with open(os.path.join(samples.systemd_dir, "tether.json")) as f:
        config_text = f.read()
    config = json.loads(config_text)
    units = read_units(samples)
    services = {n: u for n, u in units.items() if n.endswith(".service")}
    env_file_names = set()
    with open(os.path.join(samples.systemd_dir, "tether.env.example")) as f:
        for line in f:
            m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)=", line)
            if m:
                env_file_names.add(m.group(1))
    with open(os.path.join(samples.systemd_dir, "tether.sysusers.conf")) as f:
        sysusers = {l.split()[1] for l in f if l.strip() and not l.startswith("#") and l.split()[0] == "u"}
    for var in env_names(config_text):
        if var not in env_file_names:
            fail("the config reads ${%s}, which tether.env.example does not set" % var)
    commands = {}
    for name, unit in services.items():
        exec_start = unit.get("Service", {}).get("ExecStart", [])
        if len(exec_start) != 1:
            fail("%s: expected one ExecStart, found %d" % (name, len(exec_start)))
            continue
        argv = shlex.split(exec_start[0])
        words = subcommand_of(argv[1:])
        commands[name] = words
        config_path = option_value(argv, "--config")
        if config_path != "/etc/tether/tether.json":
            fail("%s: --config is %r, not /etc/tether/tether.json, where the README installs "
                 "samples/systemd/tether.json" % (name, config_path))
        # Every ${VAR} of the config must come from the unit's environment.
        if "/etc/tether/tether.env" not in unit["Service"].get("EnvironmentFile", []):
            fail("%s: does not read /etc/tether/tether.env (EnvironmentFile)" % name)
        stop = seconds(last(unit, "Service", "TimeoutStopSec", "90s"))
        if stop <= grace_of(config):
            fail("%s: TimeoutStopSec %gs is not longer than server.shutdown_grace_seconds %d: "
                 "systemd would kill it before it stops by itself" % (name, stop, grace_of(config)))
        if last(unit, "Service", "KillSignal", "SIGTERM") not in ("SIGTERM", "TERM", "15"):
            fail("%s: KillSignal is not SIGTERM, the signal tether stops gracefully on" % name)
        user = last(unit, "Service", "User")
        if user not in sysusers:
            fail("%s: runs as %r, a user tether.sysusers.conf does not create" % (name, user))
        # What it writes must be writable under ProtectSystem=strict.
        writable = ["/var/lib/" + d for d in " ".join(unit["Service"].get("StateDirectory", [])).split()]
        writable += ["/var/cache/" + d for d in " ".join(unit["Service"].get("CacheDirectory", [])).split()]
        writable += " ".join(unit["Service"].get("ReadWritePaths", [])).split()
        cache = (plugin_settings(config, "github") or {}).get("cache_dir")
        if cache and last(unit, "Service", "ProtectSystem") == "strict" and not any(under(cache, w) for w in writable):
            fail("%s: the github plugin's cache_dir %s is not writable under ProtectSystem=strict "
                 "(writable: %s)" % (name, cache, ", ".join(writable)))
    by_command = {}
    for name, words in commands.items():
        by_command.setdefault(words[0] if words else "", []).append(name)
    for command in ("serve", "worker", "sync"):
        if command not in by_command:
            fail("no unit runs `tether %s`" % command)
    for name in by_command.get("worker", []):
        if "@" not in name:
            fail("%s: a worker unit should be a template (tether-worker@N) to run several" % name)
    for name in by_command.get("sync", []):
        words = commands[name]
        if "--all" not in words:
            fail("%s: the one-shot sync should sync --all" % name)
        if last(services[name], "Service", "Type") != "oneshot":
            fail("%s: a one-shot sync should be Type=oneshot" % name)
        timers = [t for t, u in units.items() if t.endswith(".timer") and
                  last(u, "Timer", "Unit", t[:-len(".timer")] + ".service") == name]
        if not timers:
            fail("%s: no timer starts it" % name)
    for name in by_command.get("serve", []):
        if "--workers" not in commands[name] or option_value(commands[name], "--workers") != "0":
            fail("%s: serve beside worker units should run --workers 0" % name)
    for t, u in units.items():
        if t.endswith(".timer"):
            target = last(u, "Timer", "Unit", t[:-len(".timer")] + ".service")
            if target not in services:
                fail("%s: starts %s, which samples/systemd does not have" % (t, target))
            if "timers.target" not in " ".join(u.get("Install", {}).get("WantedBy", [])):
                fail("%s: not WantedBy=timers.target: enabling it would not start it at boot" % t)


def check_systemd_verify(samples, build_dir):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        skip("no systemd-analyze on this machine")
    tether = os.path.join(build_dir, "bin", "tether")
    man_dir = os.path.join(build_dir, "share", "man")
    work = tempfile.mkdtemp(prefix="tether-units-")
    try:
        names = []
        for name in sorted(os.listdir(samples.systemd_dir)):
            if not name.endswith((".service", ".timer")):
                continue
            with open(os.path.join(samples.systemd_dir, name)) as f:
                text = f.read()
            # Installed as the README says: /opt/tether/bin/tether is this build's binary.
            if "/opt/tether/bin/tether" not in text and name.endswith(".service"):
                fail("%s: ExecStart is not /opt/tether/bin/tether, where the README installs it" % name)
            with open(os.path.join(work, name), "w") as f:
                f.write(text.replace("/opt/tether/bin/tether", tether))
            # A template is verified as one of its instances.
            names.append(os.path.join(work, name.replace("@.", "@1.")))
        env = dict(os.environ)
        env["MANPATH"] = man_dir  # Documentation=man:tether(1): the page this build wrote
        result = subprocess.run([analyze, "verify"] + names, cwd=work, env=env, capture_output=True, text=True)
        output = (result.stdout + result.stderr).strip()
        # A warning (an unknown key, a bad value) is a failure too: systemd ignores such lines.
        if result.returncode != 0 or output:
            fail("systemd-analyze verify exited %d:\n%s" % (result.returncode, output))
        else:
            print("systemd-analyze verify: %s" % ", ".join(os.path.basename(n) for n in names))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------
# Kubernetes

def pod_spec_of(obj):
    kind = obj.get("kind")
    spec = obj.get("spec", {})
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return spec.get("template", {}).get("spec")
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    return None


def template_labels(obj):
    spec = obj.get("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("metadata", {}).get("labels", {})


def containers_of(obj):
    pod = pod_spec_of(obj) or {}
    return list(pod.get("initContainers", [])) + list(pod.get("containers", []))


def check_kubernetes(samples):
    objects = samples.kube_objects()
    by_kind = {}
    for file, obj in objects:
        by_kind.setdefault(obj.get("kind"), []).append((file, obj))
    kustomizations = [o for f, o in objects if o.get("kind") == "Kustomization"]
    files = sorted(f for f in os.listdir(samples.kube_dir) if f.endswith((".yaml", ".yml")))
    for k in kustomizations:
        listed = set(k.get("resources", []))
        for f in files:
            if f != "kustomization.yaml" and f not in listed:
                fail("kustomization.yaml does not list %s: kubectl apply -k would leave it out" % f)
        for f in listed - set(files):
            fail("kustomization.yaml lists %s, which is not there" % f)
    secrets = {o["metadata"]["name"]: set((o.get("stringData") or {}).keys()) | set((o.get("data") or {}).keys())
               for f, o in by_kind.get("Secret", [])}
    config_maps = {o["metadata"]["name"]: o.get("data") or {} for f, o in by_kind.get("ConfigMap", [])}
    stage = dockerfile_stages(samples.dockerfile)[-1]
    image_uid = user_id(stage)
    images = set()
    runs = {}
    for file, obj in objects:
        pod = pod_spec_of(obj)
        if pod is None:
            continue
        where = "%s %s/%s" % (file, obj["kind"], obj["metadata"]["name"])
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            selector = obj["spec"].get("selector", {}).get("matchLabels", {})
            labels = template_labels(obj)
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                fail("%s: selector %s does not match the pod labels %s" % (where, selector, labels))
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        pod_security = pod.get("securityContext", {})
        for c in containers_of(obj):
            cwhere = "%s container %s" % (where, c["name"])
            images.add(c.get("image"))
            if ":" not in (c.get("image") or "") or c["image"].endswith(":latest"):
                fail("%s: image %r has no version tag" % (cwhere, c.get("image")))
            argv = list(c.get("command", [])[1:]) + list(c.get("args", []))
            words = subcommand_of(argv)
            command = words[0] if words else ""
            runs.setdefault(command, []).append((cwhere, obj, c, words))
            # The config the command line names is the ConfigMap, mounted there.
            config_path = option_value(argv, "--config")
            env = {e["name"]: e for e in c.get("env", [])}
            if not config_path:
                config_path = (env.get("TETHER_CONFIG") or {}).get("value")
            if not config_path:
                fail("%s: names no config (--config or TETHER_CONFIG)" % cwhere)
                continue
            config_text = None
            for m in c.get("volumeMounts", []):
                volume = volumes.get(m["name"])
                if volume is None:
                    fail("%s: mounts volume %s, which the pod does not have" % (cwhere, m["name"]))
                    continue
                cm = (volume.get("configMap") or {}).get("name")
                if cm is None:
                    continue
                if cm not in config_maps:
                    fail("%s: mounts ConfigMap %s, which the samples do not have" % (cwhere, cm))
                    continue
                mount = m["mountPath"]
                key = m.get("subPath") if m.get("subPath") else os.path.relpath(config_path, mount)
                if (m.get("subPath") and mount == config_path) or (not m.get("subPath") and under(config_path, mount)):
                    if key not in config_maps[cm]:
                        fail("%s: %s would be key %s of ConfigMap %s, which has %s"
                             % (cwhere, config_path, key, cm, sorted(config_maps[cm])))
                    else:
                        config_text = config_maps[cm][key]
            if config_text is None:
                fail("%s: nothing is mounted at %s, the config its command line names" % (cwhere, config_path))
                continue
            config = json.loads(config_text)
            # Every ${VAR} of the config set, and every Secret key referenced there.
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref and ref["key"] not in secrets.get(ref["name"], set()):
                    fail("%s: env %s reads key %s of Secret %s, which %s" % (
                        cwhere, e["name"], ref["key"], ref["name"],
                        "has only %s" % sorted(secrets[ref["name"]]) if ref["name"] in secrets else "is not in the samples"))
            from_secrets = set()
            for ef in c.get("envFrom", []):
                name = (ef.get("secretRef") or {}).get("name")
                from_secrets |= secrets.get(name, set())
            for var in env_names(config_text):
                if var not in env and var not in from_secrets:
                    fail("%s: the config reads ${%s}, which the container's environment does not set: "
                         "tether refuses the config" % (cwhere, var))
            # Grace: tether stops by itself before the kubelet kills it.
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if grace <= grace_of(config):
                fail("%s: terminationGracePeriodSeconds %d is not longer than server.shutdown_grace_seconds %d"
                     % (where, grace, grace_of(config)))
            # Non-root, as the image's user; read-only root: what it writes is on a volume.
            security = dict(pod_security, **c.get("securityContext", {}))
            if security.get("runAsNonRoot") is not True:
                fail("%s: runAsNonRoot is not true" % cwhere)
            if image_uid is not None and security.get("runAsUser", image_uid) != image_uid:
                fail("%s: runAsUser %s is not the image's user %s (samples/docker/Dockerfile)"
                     % (cwhere, security.get("runAsUser"), image_uid))
            cache = (plugin_settings(config, "github") or {}).get("cache_dir")
            if cache and security.get("readOnlyRootFilesystem"):
                writable = [m["mountPath"] for m in c.get("volumeMounts", [])
                            if not m.get("readOnly") and "configMap" not in volumes.get(m["name"], {})
                            and "secret" not in volumes.get(m["name"], {})]
                if not any(under(cache, w) for w in writable):
                    fail("%s: the github plugin's cache_dir %s is on the read-only root filesystem "
                         "(writable mounts: %s)" % (cwhere, cache, writable))
            # serve: on 0.0.0.0 at the port its probes and ports name.
            if command == "serve":
                host, port = listen_of(config)
                listen_flag = option_value(words, "--listen")
                if listen_flag:
                    m = re.fullmatch(r"\[?([^\]]*)\]?:(\d+)", listen_flag)
                    host, port = m.group(1), int(m.group(2))
                if host not in ("0.0.0.0", "::"):
                    fail("%s: serve listens on %s: the probes and the Service come from the pod network, "
                         "listen on 0.0.0.0" % (cwhere, host))
                ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
                if port not in ports.values():
                    fail("%s: serve listens on port %s, which the container does not declare (%s)"
                         % (cwhere, port, sorted(ports.values())))
                for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                    get = (c.get(probe) or {}).get("httpGet")
                    if not get:
                        fail("%s: no %s (GET %s)" % (cwhere, probe, path))
                        continue
                    probe_port = ports.get(get["port"], get["port"]) if isinstance(get["port"], str) else get["port"]
                    if get.get("path") != path or probe_port != port:
                        fail("%s: %s is GET %s on port %s; tether answers GET %s on %s"
                             % (cwhere, probe, get.get("path"), probe_port, path, port))
            elif command == "worker":
                if c.get("ports") or c.get("readinessProbe") or c.get("livenessProbe"):
                    fail("%s: tether worker has no HTTP port, yet the container declares ports or probes" % cwhere)
    if len(images) != 1:
        fail("the manifests run different images: %s" % sorted(map(str, images)))
    for command in ("serve", "worker", "sync"):
        if command not in runs:
            fail("no manifest runs `tether %s`" % command)
    for cwhere, obj, c, words in runs.get("serve", []):
        if obj["kind"] != "Deployment":
            fail("%s: serve should be a Deployment" % cwhere)
        services = [o for f, o in by_kind.get("Service", [])
                    if all(template_labels(obj).get(k) == v for k, v in (o["spec"].get("selector") or {"": None}).items())]
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        for s in services:
            for p in s["spec"]["ports"]:
                target = p.get("targetPort", p["port"])
                if (ports.get(target) if isinstance(target, str) else target) not in ports.values():
                    fail("Service %s: targetPort %s is no port of %s" % (s["metadata"]["name"], target, cwhere))
        if not services:
            fail("%s: no Service selects the serve pods" % cwhere)
    for cwhere, obj, c, words in runs.get("worker", []):
        if obj["kind"] != "Deployment" or not isinstance(obj["spec"].get("replicas"), int):
            fail("%s: workers should be a Deployment with a replicas count" % cwhere)
    for cwhere, obj, c, words in runs.get("sync", []):
        if obj["kind"] != "CronJob":
            fail("%s: the one-shot sync should be a CronJob" % cwhere)
            continue
        if obj["spec"].get("concurrencyPolicy") != "Forbid":
            fail("%s: concurrencyPolicy is %r: two passes would run at once" % (cwhere, obj["spec"].get("concurrencyPolicy")))
        if "--all" not in words or option_value(words, "-j") is None and option_value(words, "--jobs") is None:
            fail("%s: should run sync --all -j N" % cwhere)
    # The image the README builds is the image the manifests run.
    with open(os.path.join(samples.root, "README.md")) as f:
        readme = f.read()
    for image in images:
        if image and ("-t %s " % image) not in readme:
            fail("samples/README.md builds no image %s (docker build ... -t %s)" % (image, image))


# --------------------------------------------------------------------------
# Dockerfile

def dockerfile_stages(path):
    """[[(INSTRUCTION, arguments)]] per stage; continuations joined, comments dropped."""
    stages, logical, pending = [], [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.strip().startswith("#"):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            logical.append(pending + line)
            pending = ""
    for line in logical:
        if not line.strip():
            continue
        instruction, _, arguments = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append([])
        if not stages:
            continue
        stages[-1].append((instruction, arguments.strip()))
    return stages


def instructions(stage, name):
    return [a for i, a in stage if i == name]


def exec_form(stage, name):
    found = instructions(stage, name)
    if not found:
        return []
    try:
        value = json.loads(found[-1])
        return value if isinstance(value, list) else [value]
    except ValueError:
        return shlex.split(found[-1])


def env_of(stage):
    env = {}
    for a in instructions(stage, "ENV"):
        for key, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)', a):
            env[key] = value.strip('"')
    return env


def user_id(stage):
    users = instructions(stage, "USER")
    if not users:
        return None
    user = users[-1].split(":")[0]
    if user.isdigit():
        return int(user)
    for run in instructions(stage, "RUN"):
        m = re.search(r"useradd\b.*?--uid\s+(\d+).*?\s%s(\s|$)" % re.escape(user), run)
        if m:
            return int(m.group(1))
    return None


def apt_installs(stage):
    packages = []
    for run in instructions(stage, "RUN"):
        for command in re.split(r"&&|;|\|\|", run):
            words = command.split()
            if "install" in words and words and words[0] in ("apt-get", "apt"):
                packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def install_deps_packages(source_dir):
    """What scripts/install-deps.sh --build installs (its packages=(...) list)."""
    with open(os.path.join(source_dir, "scripts", "install-deps.sh")) as f:
        text = f.read()
    m = re.search(r"^packages=\((.*?)\)", text, re.S | re.M)
    return set(m.group(1).split()) | {"nodejs", "npm"} if m else set()


def check_dockerfile(samples, source_dir):
    stages = dockerfile_stages(samples.dockerfile)
    if len(stages) < 2:
        fail("the Dockerfile should build in one stage and run in another (found %d stage)" % len(stages))
        return
    stage_names = set()
    for stage in stages:
        image, _, rest = stage[0][1].partition(" ")
        if image not in stage_names and not re.fullmatch(r"debian:(12|bookworm)(-slim|\.\d+(-slim)?)?", image):
            fail("stage FROM %s: not Debian 12 (debian:12, debian:bookworm-slim)" % image)
        m = re.search(r"\bAS\s+(\S+)", rest, re.I)
        if m:
            stage_names.add(m.group(1))
    build, runtime = stages[0], stages[-1]
    build_runs = " ".join(instructions(build, "RUN"))
    if not re.search(r"install-deps\.sh\s+--build", build_runs):
        fail("the build stage does not install with scripts/install-deps.sh --build")
    m = re.search(r"cmake\s+--install\s+\S+\s+--prefix\s+(\S+)", build_runs)
    prefix = m.group(1) if m else None
    if not prefix:
        fail("the build stage does not install the build (cmake --install BUILD --prefix DIR)")
    copies = [a for a in instructions(runtime, "COPY") if a.startswith("--from=")]
    if prefix and not any(a.split()[1:] == [prefix, prefix] for a in copies):
        fail("the runtime stage does not copy %s from the build stage as it is (the plugins are found "
             "next to bin/)" % prefix)
    entrypoint, cmd = exec_form(runtime, "ENTRYPOINT"), exec_form(runtime, "CMD")
    if prefix and entrypoint[:1] != [prefix + "/bin/tether"]:
        fail("ENTRYPOINT is %s, not %s/bin/tether" % (entrypoint, prefix))
    if cmd != ["serve"]:
        fail("CMD is %s, not [\"serve\"]" % cmd)
    uid = user_id(runtime)
    if uid is None:
        fail("the runtime stage sets no USER with a known numeric id (runs as root)")
    elif uid == 0:
        fail("USER is root")
    elif not instructions(runtime, "USER")[-1].split(":")[0].isdigit():
        fail("USER %s is a name: Kubernetes' runAsNonRoot can only check a numeric user" % instructions(runtime, "USER")[-1])
    volumes = []
    for a in instructions(runtime, "VOLUME"):
        volumes += json.loads(a) if a.startswith("[") else a.split()
    env = env_of(runtime)
    config_path = env.get("TETHER_CONFIG") or option_value(entrypoint, "--config")
    if not config_path or not any(under(config_path, v) for v in volumes):
        fail("the config %s is not on a VOLUME (%s)" % (config_path, volumes))
    # The config the image ships is samples/docker/tether.json (the one the configs test loads).
    shipped = [a.split() for a in instructions(runtime, "COPY") if not a.startswith("--from=")]
    if not any(c[-1] == config_path and c[0] == "samples/docker/tether.json" for c in shipped):
        fail("the image does not ship samples/docker/tether.json at %s" % config_path)
    with open(os.path.join(samples.root, "docker", "tether.json")) as f:
        config_text = f.read()
    config = json.loads(config_text)
    database = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), m.group(0)), config["database"])
    for var in env_names(config["database"]):
        if var not in env:
            fail("the config's database reads ${%s}, which the image's ENV does not set" % var)
    if database.startswith("sqlite:"):
        path = database[len("sqlite:"):]
        if not any(under(path, v) for v in volumes):
            fail("the database %s is not on a VOLUME (%s)" % (path, volumes))
    cache = (plugin_settings(config, "github") or {}).get("cache_dir")
    if cache and not any(under(cache, v) for v in volumes):
        fail("the github plugin's cache_dir %s is not on a VOLUME (%s)" % (cache, volumes))
    data_volumes = [v for v in volumes if not under(config_path or "", v)]
    runs = " ".join(instructions(runtime, "RUN"))
    for v in data_volumes:
        if not re.search(r"chown\s+\S+\s+(\S+\s+)*%s(\s|$)" % re.escape(v), runs):
            fail("the data volume %s is not made the user's (chown): tether could not write there" % v)
    host, port = listen_of(config)
    if host not in ("0.0.0.0", "::"):
        fail("the image's config listens on %s: unreachable from outside the container" % host)
    exposed = " ".join(instructions(runtime, "EXPOSE")).split()
    if str(port) not in [e.split("/")[0] for e in exposed]:
        fail("the config listens on port %s, the image EXPOSEs %s" % (port, exposed))
    packages = apt_installs(runtime)
    build_packages = install_deps_packages(source_dir)
    # Programs a plugin runs at run time (git-remote runs git and ssh) are
    # the runtime's too, though building needs git as well.
    runtime_programs = {"git", "openssh-client"}
    for p in packages:
        if p.endswith("-dev") or (p in build_packages and p not in runtime_programs):
            fail("the runtime stage installs %s, a build package" % p)
    for p in sorted(runtime_programs - set(packages)):
        fail("the runtime stage lacks %s, which the git-remote provider runs" % p)
    if not packages:
        fail("the runtime stage installs no packages")


def dpkg_owners(paths):
    """{path: package} for the library files, asking dpkg once; a path is also
    tried as its /usr-merged twin and its real path."""
    candidates = {}
    for path in paths:
        for p in {path, os.path.realpath(path)}:
            for c in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
                candidates.setdefault(c, set()).add(path)
    result = subprocess.run(["dpkg", "-S"] + sorted(candidates), capture_output=True, text=True)
    owners = {}
    for line in result.stdout.splitlines():
        package, _, file = line.partition(": ")
        for path in candidates.get(file.strip(), ()):
            owners.setdefault(path, package.split(":")[0].split(",")[0].strip())
    return owners


def installed_relations():
    """{package: [[alternatives]]} of Depends and Pre-Depends, for installed packages."""
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Status}\t${Pre-Depends}, ${Depends}\t${Essential}\n"],
                            capture_output=True, text=True, check=True)
    relations, essential = {}, set()
    for line in result.stdout.splitlines():
        name, status, depends, is_essential = line.split("\t")
        if not status.endswith(" installed"):
            continue
        groups = []
        for group in depends.split(","):
            alternatives = [re.sub(r"[:\s(].*", "", a.strip()) for a in group.split("|") if a.strip()]
            if alternatives:
                groups.append(alternatives)
        relations[name] = groups
        if is_essential == "yes":
            essential.add(name)
    return relations, essential


def closure(roots, relations):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alternatives in relations.get(p, []):
            present = [a for a in alternatives if a in relations] or alternatives[:1]
            todo.extend(present[:1])
    return seen


def check_dockerfile_libraries(samples, build_dir):
    try:
        with open("/etc/os-release") as f:
            os_release = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', f.read(), re.M))
    except OSError:
        os_release = {}
    if os_release.get("ID") != "debian" or os_release.get("VERSION_ID") != "12":
        skip("the runtime packages are Debian 12's; this machine is %s %s"
             % (os_release.get("ID"), os_release.get("VERSION_ID")))
    for tool in ("dpkg", "dpkg-query", "ldd"):
        if shutil.which(tool) is None:
            skip("no %s on this machine" % tool)
    binaries = [os.path.join(build_dir, "bin", "tether")]
    plugin_dir = os.path.join(build_dir, "lib", "tether", "plugins")
    # Plugins, and what a plugin loads from its own folder (local-git's
    # libgit2 half).
    binaries += sorted(os.path.join(d, p) for d, _, files in os.walk(plugin_dir) for p in files if p.endswith(".so"))
    needed = {}  # package -> sonames
    build_root = os.path.realpath(build_dir)
    libraries = {}  # path -> (binary, soname)
    # What tether loads at run time (dlopen: libpq and SOCI's PostgreSQL
    # backend, for a postgresql:// database) is in no ldd output: the build
    # lists it, and each is checked with what it links.
    listed = os.path.join(build_dir, "share", "tether", "runtime-libraries.txt")
    if not os.path.exists(listed):
        fail("%s is missing: the build lists the libraries tether loads at run time there" % listed)
    else:
        with open(listed) as f:
            sonames = [line.strip() for line in f if line.strip()]
        cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout \
            if shutil.which("ldconfig") else ""
        for soname in sonames:
            m = re.search(r"^\s*%s \(libc6,x86-64\) => (\S+)$" % re.escape(soname), cache, re.M)
            if not m:
                fail("tether loads %s at run time, which is not installed on this machine" % soname)
                continue
            libraries.setdefault(m.group(1), ("tether (dlopen)", soname))
            binaries.append(m.group(1))
    for binary in binaries:
        result = subprocess.run(["ldd", binary], capture_output=True, text=True)
        if result.returncode != 0:
            fail("ldd %s: %s" % (binary, result.stderr.strip()))
            continue
        for line in result.stdout.splitlines():
            m = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line)
            if not m:
                continue
            soname, path = m.groups()
            if path == "not":
                fail("%s needs %s, which is not found on this machine" % (binary, soname))
                continue
            if under(os.path.realpath(path), build_root):
                continue  # built here, shipped in the image with the binary
            if re.match(r"lib(asan|ubsan|lsan|tsan)\.so", soname):
                continue  # a sanitizer build's runtime; the image builds without sanitizers
            libraries.setdefault(path, (os.path.basename(binary), soname))
    owners = dpkg_owners(libraries)
    for path, (binary, soname) in sorted(libraries.items()):
        if path not in owners:
            fail("%s needs %s (%s), which no Debian package ships here" % (binary, soname, path))
            continue
        needed.setdefault(owners[path], set()).add(soname)
    relations, essential = installed_relations()
    packages = apt_installs(dockerfile_stages(samples.dockerfile)[-1])
    for p in packages:
        if p not in relations:
            known = subprocess.run(["apt-cache", "show", p], capture_output=True, text=True)
            if known.returncode != 0 or not known.stdout.strip():
                fail("the runtime stage installs %s, which is no Debian 12 package this machine knows" % p)
    present = closure(set(packages) | essential, relations)
    for owner, sonames in sorted(needed.items()):
        if owner not in present:
            fail("%s (%s) is needed by tether or a plugin; the runtime stage does not install it "
                 "nor anything depending on it" % (owner, ", ".join(sorted(sonames))))
    for p in packages:
        if p.startswith("lib") and p not in needed:
            fail("the runtime stage installs %s, which ships no library tether or its plugins load" % p)
    print("libraries needed, from %d packages: %s" % (len(needed), ", ".join(sorted(needed))))


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    check = sys.argv[1]
    source_dir, build_dir = (os.path.abspath(p) for p in sys.argv[2:])
    samples = Samples(source_dir)
    checks = {
        "configs": lambda: check_configs(samples, build_dir),
        "command-lines": lambda: check_command_lines(samples, build_dir),
        "systemd": lambda: check_systemd(samples),
        "systemd-verify": lambda: check_systemd_verify(samples, build_dir),
        "kubernetes": lambda: check_kubernetes(samples),
        "dockerfile": lambda: check_dockerfile(samples, source_dir),
        "dockerfile-libraries": lambda: check_dockerfile_libraries(samples, build_dir),
    }
    if check not in checks:
        print("unknown check %s; one of %s" % (check, ", ".join(checks)), file=sys.stderr)
        sys.exit(2)
    checks[check]()
    finish(check)


if __name__ == "__main__":
    main()
