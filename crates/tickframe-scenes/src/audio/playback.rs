//! Playing an audio file in step with the picture (`tickframe play --play-audio FILE`).
//!
//! The sound follows the **presented ticks**, not a clock of its own: after the presenter shows
//! tick `t`, [`TickedAudio::emit`] gives the samples from the start of tick `t + lead` to the
//! start of the next one, which go into a ring the audio device drains. Pausing (the same tick
//! presented again) gives silence, seeking jumps with the picture, and a missed frame (paced
//! runs present the next tick anyway) changes nothing. The samples a tick gives are a pure
//! function of the clip, the output rate, the frame rate and the tick (tested); only how long
//! the device takes to play them is not (see docs/visualizer.md, "Playing the audio").
//!
//! The device part (cpal) is behind the off-by-default `audio-out` feature.

use tickframe_core::{Tick, Timebase};

use super::Clip;

/// A mono clip resampled (linear interpolation; none when the rates are equal) to a device's
/// rate and cut at tick boundaries.
#[derive(Debug)]
pub struct TickedAudio {
    samples: Vec<f32>,
    clip_rate: u32,
    out_rate: u32,
    timebase: Timebase,
    looped: bool,
    /// Output samples by which each tick's sound is moved earlier (see [`TickedAudio::set_advance`]).
    advance: i64,
    last: Option<Tick>,
}

impl TickedAudio {
    /// `clip` played at `out_rate` Hz (the device's rate) for a run at `timebase`; `looped`
    /// repeats it, otherwise silence follows its end.
    ///
    /// # Panics
    /// When `out_rate` is 0.
    pub fn new(clip: Clip, out_rate: u32, timebase: Timebase, looped: bool) -> TickedAudio {
        assert!(out_rate > 0, "output rate");
        TickedAudio {
            clip_rate: clip.rate.max(1),
            samples: clip.samples,
            out_rate,
            timebase,
            looped,
            advance: 0,
            last: None,
        }
    }

    /// Moves every tick's sound `samples` output samples earlier (negative: later): tick `t`
    /// then gives the samples from `start_of(t) + samples` to `start_of(t + 1) + samples`. Set
    /// to the device's output latency, the sound of tick `t` leaves the speaker when tick `t`
    /// is shown. Default 0.
    pub fn set_advance(&mut self, samples: i64) {
        self.advance = samples;
    }

    /// The advance set by [`TickedAudio::set_advance`], in output samples.
    pub fn advance(&self) -> i64 {
        self.advance
    }

    /// The output sample at which tick `tick` starts: `floor(tick · den · out_rate / num)`,
    /// exact (128-bit integers), so ticks never drift against the audio.
    pub fn start_of(&self, tick: Tick) -> i64 {
        let (num, den) = (i128::from(self.timebase.rate().num()), i128::from(self.timebase.rate().den()));
        let p = (i128::from(tick) * den * i128::from(self.out_rate)).div_euclid(num);
        p.min(i128::from(i64::MAX)) as i64
    }

    /// The output sample `pos` (at `out_rate`) of the clip: interpolated between the two clip
    /// samples around it, wrapped when looping, 0 outside the clip otherwise.
    pub fn sample(&self, pos: i64) -> f32 {
        let n = self.samples.len() as i64;
        if n == 0 {
            return 0.0;
        }
        let scaled = i128::from(pos) * i128::from(self.clip_rate);
        let out = i128::from(self.out_rate);
        let (i, frac) = (scaled.div_euclid(out), scaled.rem_euclid(out));
        let at = |k: i128| -> f32 {
            let k = if self.looped { k.rem_euclid(i128::from(n)) } else { k };
            if (0..i128::from(n)).contains(&k) { self.samples[k as usize] } else { 0.0 }
        };
        let (a, b) = (at(i), at(i + 1));
        if frac == 0 { a } else { a + (b - a) * (frac as f32 / out as f32) }
    }

    /// Calls `out` with every output sample from the start of `tick` to the start of
    /// `tick + 1` (both moved by the advance); when `tick` is the tick of the previous call (a paused picture), with as many
    /// zeros instead. Returns how many samples it gave.
    pub fn emit(&mut self, tick: Tick, mut out: impl FnMut(f32)) -> usize {
        let (a, b) = (self.start_of(tick), self.start_of(tick.saturating_add(1)));
        let (a, b) = (a.saturating_add(self.advance), b.saturating_add(self.advance));
        let repeat = self.last == Some(tick);
        self.last = Some(tick);
        for pos in a..b {
            out(if repeat { 0.0 } else { self.sample(pos) });
        }
        (b - a) as usize
    }

    /// The output rate, in Hz.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }
}

/// Why the audio cannot be played without the `audio-out` feature.
pub const NOT_BUILT: &str = "playing audio is not in this build of tickframe: rebuild with \
    `cargo build --release -p tickframe-cli --features audio-out` (on Linux it needs `libasound2-dev` and `pkg-config`)";

/// An opened audio output device draining a ring of mono samples (copied to every channel).
/// With the `audio-out` feature only.
pub struct PlaybackDevice {
    #[cfg(feature = "audio-out")]
    producer: rtrb::Producer<f32>,
    capacity: usize,
    rate: u32,
    name: String,
    underruns: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The device's latest output latency (callback to playback), in ns plus one; 0 before the
    /// first callback or when the backend reports none.
    latency_ns: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The cpal stream, kept alive while the device is.
    #[cfg(feature = "audio-out")]
    _stream: cpal::Stream,
}

impl std::fmt::Debug for PlaybackDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PlaybackDevice({}, {} Hz)", self.name, self.rate)
    }
}

impl PlaybackDevice {
    /// Opens the output device `name` (`"default"`: the system's default output) at its default
    /// rate, with a ring of `ring_ms` of audio.
    ///
    /// # Errors
    /// Without the `audio-out` feature, always ([`NOT_BUILT`]); with it, when the device is not
    /// found or cannot be opened.
    pub fn open(name: &str, ring_ms: u32) -> Result<PlaybackDevice, String> {
        #[cfg(feature = "audio-out")]
        {
            device::open(name, ring_ms)
        }
        #[cfg(not(feature = "audio-out"))]
        {
            let _ = (name, ring_ms);
            Err(NOT_BUILT.to_string())
        }
    }

    /// The device's rate, in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The device's name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Samples queued and not yet taken by the device.
    pub fn queued(&self) -> usize {
        #[cfg(feature = "audio-out")]
        {
            self.capacity - self.producer.slots()
        }
        #[cfg(not(feature = "audio-out"))]
        {
            self.capacity
        }
    }

    /// Queues one sample; `false` when the ring is full (the sample is dropped). Never blocks.
    pub fn push(&mut self, sample: f32) -> bool {
        #[cfg(feature = "audio-out")]
        {
            self.producer.push(sample).is_ok()
        }
        #[cfg(not(feature = "audio-out"))]
        {
            let _ = sample;
            false
        }
    }

    /// Device callbacks that found the ring empty and played silence.
    pub fn underruns(&self) -> u64 {
        self.underruns.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The output latency the device reported in its latest callback: from the samples being
    /// taken to their predicted playback (cpal's `playback − callback`). `None` before the first
    /// callback, or when the backend reports 0.
    pub fn reported_latency(&self) -> Option<std::time::Duration> {
        let ns = self.latency_ns.load(std::sync::atomic::Ordering::Relaxed);
        (ns > 1).then(|| std::time::Duration::from_nanos(ns - 1))
    }

    /// Waits up to `max` for the device's first callback (so that [`Self::reported_latency`]
    /// has a reading). Not for the presenting thread: for an output's `begin`.
    pub fn wait_for_first_callback(&self, max: std::time::Duration) -> bool {
        let until = std::time::Instant::now() + max;
        while self.latency_ns.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            if std::time::Instant::now() >= until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        true
    }
}

#[cfg(feature = "audio-out")]
mod device {
    //! The cpal output stream: the one part that needs a sound device.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use cpal::SampleFormat;
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

    use super::PlaybackDevice;

    fn find(host: &cpal::Host, name: &str) -> Result<cpal::Device, String> {
        if name == "default" {
            return host
                .default_output_device()
                .ok_or_else(|| "this machine has no default audio output".into());
        }
        let list = host.output_devices().map_err(|e| format!("cannot list audio output devices: {e}"))?;
        let mut known = Vec::new();
        for d in list {
            let id = d.id().map_or_else(|_| "?".to_string(), |i| i.to_string());
            let desc = d.description().map_or_else(|_| id.clone(), |x| x.name().to_string());
            let local = id.split_once(':').map_or(id.as_str(), |(_, l)| l);
            if id == name || local == name || desc == name {
                return Ok(d);
            }
            known.push(id);
        }
        Err(format!(
            "no audio output device `{name}`; the output devices are: default{}{}",
            if known.is_empty() { "" } else { ", " },
            known.join(", ")
        ))
    }

    pub(super) fn open(name: &str, ring_ms: u32) -> Result<PlaybackDevice, String> {
        let host = cpal::default_host();
        let device = find(&host, name)?;
        let cfg = device
            .default_output_config()
            .map_err(|e| format!("audio output `{name}`: no output configuration: {e}"))?;
        let (rate, channels, format) = (cfg.sample_rate(), usize::from(cfg.channels()), cfg.sample_format());
        if !(4_000..=384_000).contains(&rate) {
            return Err(format!("audio output `{name}`: sample rate {rate} Hz is outside 4–384 kHz"));
        }
        let capacity = (rate as usize * ring_ms.max(20) as usize / 1000).max(1024);
        let (producer, consumer) = rtrb::RingBuffer::<f32>::new(capacity);
        let underruns = Arc::new(AtomicU64::new(0));
        let latency_ns = Arc::new(AtomicU64::new(0));
        let config: cpal::StreamConfig = cfg.into();
        let u = (Arc::clone(&underruns), Arc::clone(&latency_ns));
        let stream = match format {
            SampleFormat::F32 => build::<f32>(&device, config, consumer, channels, u),
            SampleFormat::I16 => build::<i16>(&device, config, consumer, channels, u),
            SampleFormat::I32 => build::<i32>(&device, config, consumer, channels, u),
            SampleFormat::U16 => build::<u16>(&device, config, consumer, channels, u),
            SampleFormat::U8 => build::<u8>(&device, config, consumer, channels, u),
            other => return Err(format!("audio output `{name}`: sample format {other} is not supported")),
        }
        .map_err(|e| format!("audio output `{name}`: cannot open the playback stream: {e}"))?;
        stream.play().map_err(|e| format!("audio output `{name}`: cannot start playing: {e}"))?;
        Ok(PlaybackDevice {
            producer,
            capacity,
            rate,
            name: name.to_string(),
            underruns,
            latency_ns,
            _stream: stream,
        })
    }

    fn build<T>(
        device: &cpal::Device,
        config: cpal::StreamConfig,
        mut consumer: rtrb::Consumer<f32>,
        channels: usize,
        (underruns, latency_ns): (Arc<AtomicU64>, Arc<AtomicU64>),
    ) -> Result<cpal::Stream, cpal::Error>
    where
        T: cpal::SizedSample + cpal::FromSample<f32> + Send + 'static,
    {
        device.build_output_stream::<T, _, _>(
            config,
            // The real-time callback: pop and copy to every channel; silence when empty.
            move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
                let ts = info.timestamp();
                let ns =
                    u64::try_from(ts.playback.duration_since(ts.callback).as_nanos()).unwrap_or(u64::MAX - 1);
                latency_ns.store(ns + 1, Ordering::Relaxed);
                let mut empty = false;
                for frame in data.chunks_mut(channels.max(1)) {
                    let s = consumer.pop().unwrap_or_else(|_| {
                        empty = true;
                        0.0
                    });
                    frame.iter_mut().for_each(|d| *d = T::from_sample(s));
                }
                if empty {
                    underruns.fetch_add(1, Ordering::Relaxed);
                }
            },
            |_err| {},
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickframe_core::FrameRate;

    fn clip(rate: u32, n: usize) -> Clip {
        Clip {
            rate,
            channels: 1,
            samples: (0..n).map(|i| i as f32 / n as f32).collect(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn ticks_cut_the_clip_exactly_at_the_same_rate() {
        let tb = Timebase::new(FrameRate::whole(60).unwrap());
        let c = clip(48_000, 48_000);
        let expected = c.samples.clone();
        let mut a = TickedAudio::new(c, 48_000, tb, false);
        let mut got = Vec::new();
        for t in 0..60 {
            assert_eq!(a.emit(t, |s| got.push(s)), 800);
        }
        assert!(got == expected, "one second of ticks is the clip, sample for sample");
        // Past the end without looping: silence.
        let mut tail = Vec::new();
        a.emit(60, |s| tail.push(s));
        assert!(tail.iter().all(|&s| s == 0.0));
    }

    #[test]
    fn odd_frame_rates_do_not_drift_and_looping_wraps() {
        let tb = Timebase::new(FrameRate::new(30_000, 1001).unwrap());
        let mut a = TickedAudio::new(clip(44_100, 1000), 44_100, tb, true);
        let mut total = 0usize;
        for t in 0..30_000u64 {
            total += a.emit(t, |_| {});
        }
        // 30000 ticks at 29.97 fps are exactly 1001 s.
        assert_eq!(total, 44_100 * 1001);
        assert_eq!(a.sample(1000), a.sample(0));
        assert_eq!(a.sample(-1), a.sample(999));
    }

    #[test]
    fn a_repeated_tick_is_silence_and_a_seek_jumps() {
        let tb = Timebase::new(FrameRate::whole(50).unwrap());
        let mut a = TickedAudio::new(clip(8_000, 8_000), 8_000, tb, true);
        let mut first = Vec::new();
        a.emit(10, |s| first.push(s));
        let mut again = Vec::new();
        a.emit(10, |s| again.push(s));
        assert_eq!(again.len(), first.len());
        assert!(again.iter().all(|&s| s == 0.0) && first.iter().any(|&s| s != 0.0));
        let mut jumped = Vec::new();
        a.emit(40, |s| jumped.push(s));
        assert_eq!(jumped[0], a.sample(a.start_of(40)));
        assert_eq!(a.start_of(40), 6_400);
    }

    #[test]
    fn other_device_rates_interpolate_between_clip_samples() {
        let tb = Timebase::new(FrameRate::whole(60).unwrap());
        let a = TickedAudio::new(clip(22_050, 22_050), 44_100, tb, false);
        // Even output samples are clip samples; odd ones lie halfway.
        for k in [0i64, 7, 1000, 22_000] {
            assert_eq!(a.sample(2 * k), k as f32 / 22_050.0);
            let mid = (a.sample(2 * k) + a.sample(2 * k + 2)) / 2.0;
            assert!((a.sample(2 * k + 1) - mid).abs() < 1e-6);
        }
    }

    #[test]
    fn an_advance_moves_each_tick_earlier_by_whole_samples() {
        let tb = Timebase::new(FrameRate::whole(60).unwrap());
        let c = clip(48_000, 48_000);
        let expected = c.samples.clone();
        let mut a = TickedAudio::new(c, 48_000, tb, false);
        // 21.5 ms of device latency at 48 kHz.
        a.set_advance(1032);
        let mut got = Vec::new();
        assert_eq!(a.emit(5, |s| got.push(s)), 800);
        assert!(got == expected[4000 + 1032..4800 + 1032], "tick 5 gives the samples 1032 later");
        // Consecutive ticks still join without a gap or an overlap.
        let mut next = Vec::new();
        a.emit(6, |s| next.push(s));
        assert_eq!(next[0], expected[4800 + 1032]);
        // Before the clip (a negative advance at tick 0): silence, not a wrap.
        a.set_advance(-100);
        let mut first = Vec::new();
        a.emit(0, |s| first.push(s));
        assert!(first[..100].iter().all(|&s| s == 0.0));
        assert!(first[100..] == expected[..700]);
    }

    #[cfg(not(feature = "audio-out"))]
    #[test]
    fn without_the_feature_opening_a_device_says_how_to_build_it() {
        let e = PlaybackDevice::open("default", 100).unwrap_err();
        assert!(e.contains("--features audio-out"), "{e}");
    }
}
