// The daemon's YAML files as it loads them at start-up, each given hostile
// text: the gateway configuration (app/config.h), the DER classes and a
// flexibility scenario (app/flex_config.h), and a PCC's network model
// directory: model.yaml with its bus, branch, DER placement and resource
// tables, checked against PS Sud's real scenario (app/grid_files.h). Every
// input must give a value or an error, never a crash.
//
// Input: byte 0 chooses the file ('0' + the number in the list below, so
// that seeds stay text files); the rest is its text. A model directory's
// files follow each other in the order model.yaml, buses.csv,
// branches.csv, der-placement.csv, resources.csv, separated by a line
// "%%". The loaders read files, so the input is written to a scratch
// directory first; relative paths in it resolve there, where "profiles"
// leads to config/profiles (a scenario's "../profiles/pv.csv" is found).
// Seeds: tests/fuzz/corpus/config_fuzz.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/flex_config.h"
#include "app/grid_files.h"
#include "fuzz_text.h"

namespace tsodso::fuzz {
namespace {

namespace fs = std::filesystem;

// The files, in the order of byte 0; the corpus depends on it, so new ones
// go at the end.
enum File : uint8_t { kGateway, kDerClasses, kScenario, kGridModel, kFiles };

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "config fuzz: %s\n", what.c_str());
  std::abort();
}

struct Scratch {
  fs::path dir;
  std::map<std::string, core::DerClass> classes;
  core::FlexCatalog flex;
};

const Scratch& TheScratch() {
  static const Scratch* scratch = [] {
    auto* s = new Scratch;
    std::string dir = (std::filesystem::temp_directory_path() / "tsodso-fuzz-config-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) Die("cannot make a scratch directory");
    s->dir = dir;
    const fs::path config = fs::path(TSODSO_SOURCE_DIR) / "config";
    std::error_code ec;
    fs::create_directories(s->dir / "pcc", ec);
    fs::create_directories(s->dir / "grid", ec);
    fs::create_directory_symlink(config / "profiles", s->dir / "profiles", ec);
    if (ec) Die("cannot lay out " + s->dir.string() + ": " + ec.message());
    auto classes = app::LoadDerClasses((config / "der-classes.yaml").string());
    if (!classes.ok()) Die(classes.status().ToString());
    s->classes = std::move(*classes);
    auto current = app::LoadScenario((config / "ps-sud" / "as-is.yaml").string(), "PS_SUD", "current", s->classes);
    if (!current.ok()) Die(current.status().ToString());
    s->flex.by_pcc["PS_SUD"].emplace(core::kCurrentScenario, std::move(*current));
    return s;
  }();
  return *scratch;
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

void GridModel(const Scratch& s, const std::string& input) {
  static const char* const kNames[] = {"model.yaml", "buses.csv", "branches.csv", "der-placement.csv", "resources.csv"};
  const std::vector<std::string> files = SplitFiles(input, std::size(kNames));
  const fs::path dir = s.dir / "grid";
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    // Without a model.yaml the loader takes the tables it finds.
    if (i == 0 && files[i].empty()) {
      fs::remove(dir / kNames[i], ec);
    } else {
      Write(dir / kNames[i], files[i]);
    }
  }
  (void)app::LoadGrid(dir.string(), 23);
  (void)app::LoadGridCatalog({{"PS_SUD", dir.string()}}, s.flex);
}

}  // namespace
}  // namespace tsodso::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tsodso;
  using namespace tsodso::fuzz;
  if (size < 1) return 0;
  const Scratch& s = TheScratch();
  const auto file = static_cast<File>(static_cast<uint8_t>(data[0] - '0') % kFiles);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (file) {
    case kGateway: {
      const fs::path path = s.dir / "gateway.yaml";
      Write(path, text);
      (void)app::LoadConfig(path.string());
      break;
    }
    case kDerClasses: {
      const fs::path path = s.dir / "der-classes.yaml";
      Write(path, text);
      (void)app::LoadDerClasses(path.string());
      break;
    }
    case kScenario: {
      const fs::path path = s.dir / "pcc" / "scenario.yaml";
      Write(path, text);
      (void)app::LoadScenario(path.string(), "PS_SUD", "fuzz", s.classes);
      break;
    }
    case kGridModel:
      GridModel(s, text);
      break;
    default:
      break;
  }
  return 0;
}
