/* unit_util.c: helpers shared by the Check suites. */
#include "unit_util.h"
