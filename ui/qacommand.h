#pragma once

class QApplication;

namespace organizer {

// `organizer qa`: the scope QA grid, offscreen, with reports for CI. Returns the exit code:
// 0 every cell as predicted, 1 some cell differs, 2 the run could not be made (bad plan, no server).
int runQaCommand(QApplication &application);

} // namespace organizer
