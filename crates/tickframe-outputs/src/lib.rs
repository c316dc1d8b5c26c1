//! Device outputs (issue 5): network LED protocols, LED mapping and colour, small screens.
