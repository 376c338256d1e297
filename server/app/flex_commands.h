// Offline flexibility commands of tsodso-gatewayd, for the DSO engineer:
// build profile files from measured data, and summarise a scenario's year.
#pragma once

#include <string>

namespace tsodso::app {

// Write pv.csv (from a PVGIS TMY), chp.csv, hydro-ror.csv and pcc-load.csv
// (from a measured 15-minute load) into out_dir, for `year`.
int MakeProfiles(const std::string& weather_csv, const std::string& load_csv, const std::string& out_dir, int year);

// Print the yearly distribution of P/Q up/down for a scenario, next to the
// threshold the TSO finds meaningful.
int SummarizeScenario(const std::string& classes_file, const std::string& scenario_file, int year, double threshold);

}  // namespace tsodso::app
