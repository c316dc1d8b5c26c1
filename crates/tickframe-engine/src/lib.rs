//! The render-ahead engine (issue 3): worker pool, bounded frame cache, deadline presenters.
