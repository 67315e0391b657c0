#include "kselftest_harness.h"
TEST(passes) { ASSERT_EQ(1, 1); }
TEST(fails) { ASSERT_EQ(1, 2); }
TEST(skips) { SKIP(return, "not here"); }
TEST(uid) { TH_LOG("uid %d", getuid()); }
TEST_HARNESS_MAIN
