//! Layers: child scenes stacked and blended.

use std::sync::Arc;

use tickframe_core::{BlendMode, Canvas, RenderContext, Scene, composite};

/// One layer of a [`Layers`] stack.
#[derive(Clone)]
pub struct Layer {
    /// What the layer draws.
    pub scene: Arc<dyn Scene>,
    /// How opaque the layer is, 0.0..=1.0 (default 1.0); stored as `round(opacity · 255)`.
    pub opacity: f64,
    /// How its colours combine with the layers below (default [`BlendMode::Normal`]).
    pub blend: BlendMode,
}

impl Layer {
    /// A fully opaque, normally blended layer.
    pub fn new(scene: Arc<dyn Scene>) -> Layer {
        Layer { scene, opacity: 1.0, blend: BlendMode::Normal }
    }

    /// The same layer with `opacity` (clamped to 0..=1).
    #[must_use]
    pub fn with_opacity(mut self, opacity: f64) -> Layer {
        self.opacity = opacity;
        self
    }

    /// The same layer with `blend`.
    #[must_use]
    pub fn with_blend(mut self, blend: BlendMode) -> Layer {
        self.blend = blend;
        self
    }
}

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layer").field("opacity", &self.opacity).field("blend", &self.blend).finish()
    }
}

struct Built {
    scene: Arc<dyn Scene>,
    opacity: u8,
    blend: BlendMode,
}

/// A stack of scenes, bottom first. Every layer renders with the same tick and seed as the stack
/// (derive different seeds inside the child when needed).
///
/// The first layer draws straight onto the canvas when it is normal and fully opaque (so at the
/// top level it draws over opaque black); every other layer is rendered offscreen onto
/// transparent black and composited with [`tickframe_core::composite`]: its blend mode, then
/// source-over by pixel alpha × opacity. Scratch frames come from the canvas's pool, so a
/// steady-state frame allocates nothing.
pub struct Layers {
    layers: Vec<Built>,
}

impl std::fmt::Debug for Layers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Layers({} layers)", self.layers.len())
    }
}

impl Layers {
    /// A stack of `layers`, bottom first (an empty stack draws nothing).
    pub fn new(layers: Vec<Layer>) -> Layers {
        let layers = layers
            .into_iter()
            .map(|l| Built {
                scene: l.scene,
                opacity: (l.opacity.clamp(0.0, 1.0) * 255.0).round() as u8,
                blend: l.blend,
            })
            .collect();
        Layers { layers }
    }

    /// The number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the stack is empty.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl Scene for Layers {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        for (i, layer) in self.layers.iter().enumerate() {
            if layer.opacity == 0 {
                continue;
            }
            if i == 0 && layer.opacity == 255 && layer.blend == BlendMode::Normal {
                layer.scene.render(ctx, canvas);
                continue;
            }
            let frame = canvas.render_offscreen(|c| layer.scene.render(ctx, c));
            composite(canvas.pixels_mut(), frame.pixels(), layer.blend, layer.opacity);
            canvas.recycle(frame);
        }
    }

    /// When the bottom layer is drawn straight onto the canvas (fully opaque, normal blend)
    /// and paints every pixel; the layers above only blend over it.
    fn paints_every_pixel(&self, ctx: &RenderContext) -> bool {
        self.layers.first().is_some_and(|l| {
            l.opacity == 255 && l.blend == BlendMode::Normal && l.scene.paints_every_pixel(ctx)
        })
    }
}
