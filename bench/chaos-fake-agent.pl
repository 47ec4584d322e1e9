#!/usr/bin/perl
# A stand-in replica for the chaos soak (bench/chaos-soak.js): started by the local provider as
# `perl chaos-fake-agent.pl serve --model M --name M --port P --replica-id ID --lb URL ...`, it says it serves at once
# and then waits for a signal (SIGTERM/SIGINT: exit 0). A few MB per process instead of an ONNX Runtime agent, so a
# soak can run many replicas of many models on two cores; the provider's life cycle (state file, watchdog, kills,
# replacement) is the real one.
use strict;
$| = 1;
$SIG{TERM} = sub { exit 0 };
$SIG{INT} = sub { exit 0 };
print qq({"event":"serving"}\n);
sleep 86400 while 1;
