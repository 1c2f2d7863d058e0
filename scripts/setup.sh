# Sourced by demo.sh and test.sh: make .venv with oppforms installed, and the Debian
# packages oppforms and its tests use (poppler-utils, qpdf, ghostscript, tesseract with
# Dutch and the Latin-script model, the Dutch Hunspell word list, jbig2dec for JBIG2 scans, and pdftk-java, a peer the extract tests fill forms with).
# On a machine where we are not root, missing packages are named with the exact command.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
DEBIAN_PACKAGES=(poppler-utils qpdf ghostscript tesseract-ocr tesseract-ocr-nld tesseract-ocr-script-latn hunspell-nl jbig2dec pdftk-java)
# the web app's browser tests drive Debian's Chromium (never a downloaded browser)
if [[ "${OPPFORMS_EXTRAS:-}" == *test* ]]; then DEBIAN_PACKAGES+=(chromium); fi

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing Debian packages: $*"
        if [ -z "${OPPFORMS_APT_UPDATED:-}" ]; then
            apt-get update -qq >/dev/null
            export OPPFORMS_APT_UPDATED=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    else
        echo "oppforms: these Debian packages are missing; install them with:" >&2
        echo "    sudo apt-get install -y $*" >&2
        return 1
    fi
}

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ] && command -v dpkg-query >/dev/null; then
    apt_install "${missing[@]}" || say "continuing without: ${missing[*]} (the steps that need them will say so)"
fi

"$PYTHON" - <<'PY' || { echo "oppforms needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2; exit 2; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        ver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install "python${ver}-venv" || apt_install python3-venv
        "$PYTHON" -m venv .venv
    fi
fi
say "installing oppforms into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# always with the scanned-forms reader (the extra "scan"), plus any extras asked for
extras="scan${OPPFORMS_EXTRAS:+,${OPPFORMS_EXTRAS//[\[\]]/}}"
.venv/bin/python -m pip install -q -e ".[${extras}]"
