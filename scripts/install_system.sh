#!/usr/bin/env bash
# Installs the system packages AIM needs on Debian 12 / Ubuntu: a Vulkan loader and a
# Vulkan driver SAPIEN accepts (Mesa >= 24 lavapipe; on Debian 12 from bookworm-backports),
# plus ffmpeg, PostgreSQL (Prefect on Postgres integration test) and Chromium (UI browser check).
# Idempotent: does nothing when all of them are already present. AIM_TEST_TOOLS=0 skips
# PostgreSQL and Chromium (runtime images, docker/).
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

have_vulkan() { command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -qE "deviceName|driverName"; }
mesa_ok() { vulkaninfo --summary 2>/dev/null | grep -qE "Mesa (2[4-9]|[3-9][0-9])|NVIDIA"; }

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; }
TEST_TOOLS=${AIM_TEST_TOOLS:-1}
have_test_tools() { [ "$TEST_TOOLS" = 0 ] || { have_postgres && command -v chromium >/dev/null; }; }

if have_vulkan && mesa_ok && command -v ffmpeg >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null \
   && have_test_tools; then
  echo "[install_system] Vulkan device, ffmpeg, PostgreSQL and Chromium already present"; exit 0
fi

export DEBIAN_FRONTEND=noninteractive
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = "bookworm" ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=$(grep -rhoE "https?://[^ ]*debian/?$" /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libvulkan1 vulkan-tools ffmpeg python3-venv python3-dev gcc >/dev/null
# orchestration tests: a real PostgreSQL for Prefect, headless Chromium for the UI check
if [ "$TEST_TOOLS" != 0 ]; then
  $SUDO apt-get install -y -qq postgresql chromium >/dev/null
fi
if [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
else
  $SUDO apt-get install -y -qq mesa-vulkan-drivers >/dev/null
fi
vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverInfo" || { echo "[install_system] no Vulkan device after install" >&2; exit 1; }
