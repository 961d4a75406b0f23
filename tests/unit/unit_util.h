/* unit_util.h: helpers shared by the Check suites. */
#ifndef BADUP_UNIT_UTIL_H
#define BADUP_UNIT_UTIL_H
#endif
