//! `play --play-audio FILE`: the audio file played in step with the presented ticks (see
//! `tickframe_scenes::audio::playback`). An output like the others, with its own presenter: after
//! each tick it queues the samples of the tick `lead` ahead into the device's ring (lock-free,
//! never blocking), so the device is always about `lead` ticks of audio behind the picture it
//! plays with. Only queueing runs on the presenter; the device drains the ring on its own thread.

use tickframe_core::{FrameRef, Tick, Timebase};
use tickframe_scenes::audio::{Clip, PlaybackDevice, TickedAudio};

use super::{Output, RunInfo};

/// Ticks of audio queued ahead of the picture (at 60 fps, 50 ms).
const LEAD_TICKS: u64 = 3;

/// How long `begin` waits for the device's first callback to read its latency.
const LATENCY_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The sound's lead over the picture that makes up for the device's output latency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AudioLatency {
    /// What the device reports (cpal's playback − callback time), read once before the first
    /// frame; 0 when it reports nothing.
    Device,
    /// This many ms (0 to 10,000).
    Ms(f64),
}

/// Plays a clip on an audio device in step with the presented ticks.
pub struct AudioOutput {
    clip: Option<Clip>,
    looped: bool,
    latency: AudioLatency,
    device: PlaybackDevice,
    ticked: Option<TickedAudio>,
    /// Samples of one tick, for the drift check.
    per_tick: usize,
    /// Ticks of audio skipped or of silence inserted to keep the queue near its target.
    corrections: u64,
    /// Device underruns before the first frame (the device plays silence from opening until
    /// then); `None` until the first frame.
    underruns_before: Option<u64>,
    status: String,
}

impl std::fmt::Debug for AudioOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AudioOutput({:?})", self.device)
    }
}

impl AudioOutput {
    /// Plays `clip` (repeated when `looped`) on `device`, each tick's sound `latency` early.
    pub fn new(clip: Clip, looped: bool, latency: AudioLatency, device: PlaybackDevice) -> AudioOutput {
        let status = format!("audio → {} ({} Hz)", device.name(), device.rate());
        AudioOutput {
            clip: Some(clip),
            looped,
            latency,
            device,
            ticked: None,
            per_tick: 0,
            corrections: 0,
            underruns_before: None,
            status,
        }
    }
}

impl Output for AudioOutput {
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        let clip = self.clip.take().ok_or_else(|| anyhow::anyhow!("the audio output was begun twice"))?;
        let mut ticked = TickedAudio::new(clip, self.device.rate(), Timebase::new(info.rate), self.looped);
        let rate = self.device.rate();
        let (ms, how) = match self.latency {
            AudioLatency::Ms(ms) => (ms, "set"),
            AudioLatency::Device => {
                self.device.wait_for_first_callback(LATENCY_WAIT);
                match self.device.reported_latency() {
                    Some(d) => (d.as_secs_f64() * 1000.0, "reported by the device"),
                    None => (0.0, "none reported"),
                }
            }
        };
        ticked.set_advance((ms / 1000.0 * f64::from(rate)).round() as i64);
        self.status = format!(
            "audio → {} ({rate} Hz, {}, {ms:.1} ms early: latency {how})",
            self.device.name(),
            if self.looped { "looped" } else { "once" }
        );
        self.per_tick = (ticked.start_of(1) - ticked.start_of(0)).max(1) as usize;
        self.ticked = Some(ticked);
        Ok(())
    }

    fn present(&mut self, tick: Tick, _frame: FrameRef<'_>) -> anyhow::Result<bool> {
        let Some(ticked) = self.ticked.as_mut() else { return Ok(true) };
        if self.underruns_before.is_none() {
            // The first frame: the device has been playing silence since it opened; start the
            // clip now, with the lead ticks queued at once, so tick t sounds as tick t shows.
            self.underruns_before = Some(self.device.underruns());
            let dev = &mut self.device;
            for t in tick..tick + LEAD_TICKS {
                ticked.emit(t, |s| {
                    dev.push(s);
                });
            }
        }
        // The device's clock and the presenter's drift apart slowly (about 1e-4): keep the queue
        // within two ticks of its target by skipping one tick of audio or inserting one of
        // silence (the second emit of a tick is silence).
        let target = LEAD_TICKS as usize * self.per_tick;
        let queued = self.device.queued();
        let dev = &mut self.device;
        if queued > target + 2 * self.per_tick {
            self.corrections += 1;
            ticked.emit(tick + LEAD_TICKS, |_| {});
            return Ok(true);
        }
        let times = if queued + 2 * self.per_tick < target { 2 } else { 1 };
        self.corrections += times - 1;
        for _ in 0..times {
            ticked.emit(tick + LEAD_TICKS, |s| {
                dev.push(s);
            });
        }
        Ok(true)
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        true
    }

    /// Device underruns since the first frame.
    fn send_errors(&self) -> u64 {
        self.underruns_before.map_or(0, |b| self.device.underruns().saturating_sub(b))
    }

    fn set_status(&mut self, _status: &str) {}

    fn name(&self) -> &str {
        &self.status
    }
}
