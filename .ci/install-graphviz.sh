#!/bin/sh
# Install Graphviz's `dot` binary (Debian's package); autograd.viz renders with it.
set -e
if command -v dot >/dev/null 2>&1; then exit 0; fi
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null
else
    echo "warning: no apt-get here; install Graphviz's 'dot' yourself to render graphs" >&2
fi
