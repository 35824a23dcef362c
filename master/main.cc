#include "master/master.h"

int main(int argc, char** argv) { return spate::master::RunMaster(argc, argv); }
