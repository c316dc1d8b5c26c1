//! `solid`: one colour over the whole frame.

use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene};

use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "solid",
    summary: "one colour over the whole frame",
    params: &[ParamDoc {
        name: "color",
        kind: "colour",
        default: "\"#000000\"",
        doc: "the colour; pixels are replaced, not blended, so alpha below 255 makes a translucent layer",
    }],
    build,
};

/// One colour everywhere (pixels replaced, not blended).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Solid {
    /// The colour.
    pub color: Rgba,
}

impl Scene for Solid {
    fn render(&self, _ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        canvas.clear(self.color);
    }
}

fn build(p: &mut Params, _cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let color = p.color("color", Rgba::BLACK)?;
    Ok(Arc::new(Solid { color }))
}
