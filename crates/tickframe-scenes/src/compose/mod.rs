//! Composition: layers, playlists, transitions and easing.
//!
//! - [`Layers`]: child scenes stacked with a [`tickframe_core::BlendMode`] and opacity each;
//! - [`Playlist`]: scenes one after another for a duration each, with a [`Transition`] into the
//!   next, looping or holding the last;
//! - [`Transition`]: crossfade, wipe, slide and dissolve, pure functions of (progress, seed);
//! - [`Easing`]: the curves that shape a transition's progress.

mod easing;
mod layers;
mod playlist;
mod transition;

pub use easing::Easing;
pub use layers::{Layer, Layers};
pub use playlist::{Playlist, PlaylistEntry, PlaylistError, PlaylistPosition, TransitionPosition};
pub use transition::{Direction, Transition, TransitionKind};
