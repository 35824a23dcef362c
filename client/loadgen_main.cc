// spate-loadgen: produces log records to Kafka. See client/loadgen.h and --help.
#include "client/loadgen.h"

int main(int argc, char** argv) { return spate::LoadgenMain(argc, argv); }
