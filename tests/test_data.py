import pytest
import torch

from ganrt.train.data import SyntheticVideo, VideoDataConfig, mean_frame_difference


@pytest.mark.parametrize("motion", ["bouncing", "curves"])
def test_clips_shape_range_and_motion(motion):
    clips = SyntheticVideo(VideoDataConfig(motion=motion, resolution=32), seed=0).sample(8, 12)
    assert clips.shape == (8, 12, 3, 32, 32)
    assert clips.min() >= -1 and clips.max() <= 1
    assert 0.01 < mean_frame_difference(clips) < 0.2  # moving, not flickering
    # shapes are visible: a good share of pixels differ from the black background
    assert 0.03 < (clips > -0.9).any(dim=2).float().mean() < 0.6


def test_seeded():
    a = SyntheticVideo(VideoDataConfig(), seed=3).sample(4, 6)
    b = SyntheticVideo(VideoDataConfig(), seed=3).sample(4, 6)
    c = SyntheticVideo(VideoDataConfig(), seed=4).sample(4, 6)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_bouncing_shapes_stay_inside_forever():
    data = SyntheticVideo(VideoDataConfig(resolution=32), seed=1)
    clips = data.sample(16, 8, start_max=5000)  # far into the video: walls still hold
    border = torch.cat([clips[..., 0, :], clips[..., -1, :], clips[..., :, 0], clips[..., :, -1]], -1)
    assert (border > -0.5).float().mean() < 0.25  # shapes touch walls, never leave the frame
    assert (clips > -0.9).any(dim=2).flatten(2).any(dim=2).all()  # every frame shows something


def test_fast_enough():
    import time

    data = SyntheticVideo(VideoDataConfig(resolution=64), seed=0)
    start = time.perf_counter()
    data.sample(16, 16)
    assert time.perf_counter() - start < 1.0  # a generator step takes longer than this


def test_unknown_motion():
    with pytest.raises(ValueError, match="unknown motion"):
        VideoDataConfig(motion="wobble")
