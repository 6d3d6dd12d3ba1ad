# Sourced by scripts/sdk_check.sh and scripts/serve_sdk_check.sh: the Python
# to use and a virtual environment per pinned `anthropic` release, under
# target/sdk-venv/, made (or remade) only when missing.
# Needs Python >= 3.10 (set PYTHON to choose one).

python=${PYTHON:-}
if [[ -z $python ]]; then
    if command -v python3.11 >/dev/null 2>&1; then python=python3.11; else python=python3; fi
fi
venvs="${CARGO_TARGET_DIR:-target}/sdk-venv"

# Prints the directory of a venv with exactly anthropic==$1.
venv_for() {
    local version=$1 dir="$venvs/anthropic-$1"
    if ! "$dir/bin/python" -c "import anthropic, sys; sys.exit(anthropic.__version__ != '$version')" \
        >/dev/null 2>&1; then
        echo "-- installing anthropic==$version into $dir" >&2
        rm -rf "$dir"
        "$python" -m venv "$dir"
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
            "anthropic==$version" >&2
    fi
    echo "$dir"
}
