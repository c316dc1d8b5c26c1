//! End-to-end tests: traces (trace, verify, replay, diff, prune, merge).
