#include "client/submit.h"

int main(int argc, char** argv) { return spate::client::RunSubmit(argc, argv); }
