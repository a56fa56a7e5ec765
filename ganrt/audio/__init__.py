"""Audio that moves the stream: a WAV read safely (wavfile), analysed into onsets, loudness and
chroma per video frame (analysis), mapped onto the playback controls (mapping), rendered into a
music video with the track muxed in (render), or heard live from a sound card (live)."""
