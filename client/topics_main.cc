// spate-topics: see client/topics.h.
#include "client/topics.h"

int main(int argc, char** argv) { return spate::RunTopics(argc, argv); }
