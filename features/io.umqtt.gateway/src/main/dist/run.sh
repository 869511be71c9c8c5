#!/bin/sh
# Starts the umqtt gateway from this directory: Felix with the umqtt bundles, the web console on
# http://127.0.0.1:8080/system/console (admin/admin), the demo broker (Moquette, 127.0.0.1:1883) and
# a demo connection to it (conf/). With a terminal you get the Gogo shell (try mqtt:list); Ctrl-C stops it.
set -e
cd "$(dirname "$0")"
if [ -t 0 ]; then shell=--noshutdown; else shell=--nointeractive; fi
exec java -Dgosh.args="$shell" "$@" -jar umqtt-gateway.jar
