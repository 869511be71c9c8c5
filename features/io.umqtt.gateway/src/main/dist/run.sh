#!/bin/sh
# Starts the umqtt gateway from this directory, and beside it a demo broker (mosquitto on
# 127.0.0.1:1883) unless UMQTT_DEMO_BROKER=off. Web console: http://127.0.0.1:8080/system/console
# (admin/admin). With a terminal you get the Gogo shell (try mqtt:list); Ctrl-C stops both.
set -e
cd "$(dirname "$0")"
if [ "${UMQTT_DEMO_BROKER:-on}" != off ]; then
    if ! command -v mosquitto >/dev/null 2>&1; then
        echo "run.sh: the demo broker needs mosquitto (apt-get install -y mosquitto)," >&2
        echo "        or start with UMQTT_DEMO_BROKER=off after pointing conf/io.umqtt.robust-demo.cfg at your broker" >&2
        exit 1
    fi
    printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\n' > demo-broker.conf
    mosquitto -c demo-broker.conf > demo-broker.log 2>&1 &
    broker=$!
    trap 'kill "$broker" 2>/dev/null || true' EXIT INT TERM
fi
if [ -t 0 ]; then shell=--noshutdown; else shell=--nointeractive; fi
java -Dgosh.args="$shell" "$@" -jar umqtt-gateway.jar
