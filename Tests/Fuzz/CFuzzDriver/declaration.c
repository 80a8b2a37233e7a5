// Nothing to compile: the target exists for its header (SwiftPM needs one source file).
#include "CFuzzDriver.h"
