// `tsodso-gatewayd grid check`, the command a DSO engineer runs after
// importing a model, on the IEEE 33-bus feeder (Baran & Wu, 1989).
#include <fstream>

#include "e2e/e2e_util.h"

namespace tsodso::testing {
namespace {

TEST(GridCheckTest, Ieee33BaseCaseFigures) {
  std::string out, err;
  const int rc = RunCommand({BinPath("tsodso-gatewayd"), "grid", "check", "--model",
                             std::string(TSODSO_SOURCE_DIR) + "/data/grids", "--kv", "12.66"},
                            &out, &err);
  ASSERT_EQ(rc, 0) << out << err;
  EXPECT_NE(out.find("33 buses, 32 branches (32 in service)"), std::string::npos) << out;
  EXPECT_NE(out.find("total losses: 202.6"), std::string::npos) << out;
  EXPECT_NE(out.find("135.1"), std::string::npos) << out;
  EXPECT_NE(out.find("minimum voltage: 0.913"), std::string::npos) << out;  // 0.91309 (published 0.9131)
  EXPECT_NE(out.find("at bus 18"), std::string::npos) << out;
}

TEST(GridCheckTest, BrokenModelIsRefusedNamingFileAndRow) {
  TempDir dir("grid");
  std::ofstream(dir / "buses.csv") << "bus,p_load_kw,q_load_kvar\n1,0,0\n2,100,60\n";
  std::ofstream(dir / "branches.csv") << "from_bus,to_bus,r_ohm,x_ohm\n1,2,0.1,0\n";
  std::string out, err;
  EXPECT_EQ(RunCommand({BinPath("tsodso-gatewayd"), "grid", "check", "--model", dir.path(), "--kv", "20"}, &out, &err),
            2);
  EXPECT_NE(err.find("branch row 2 (1-2): x_ohm: 0 must be positive"), std::string::npos) << err;
}

}  // namespace
}  // namespace tsodso::testing
