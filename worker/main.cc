#include "worker/worker.h"

int main(int argc, char** argv) { return spate::worker::RunWorker(argc, argv); }
