"""CRF against brute-force enumeration of every tag sequence on tiny inputs."""

import itertools
import math

import pytest

pytestmark = pytest.mark.baselines
torch = pytest.importorskip("torch")

from advisor.baselines.models import CRF  # noqa: E402

NUM_TAGS = 3
LENGTHS = [4, 1, 3, 2]  # one batch, masks of different lengths


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def path_score(crf, emissions, path):
    """Score of one path over one unpadded sequence, written as plainly as possible."""
    score = crf.start_transitions[path[0]] + emissions[0, path[0]]
    for t in range(1, len(path)):
        score = score + crf.transitions[path[t - 1], path[t]] + emissions[t, path[t]]
    return score + crf.end_transitions[path[-1]]


def all_paths(length):
    return list(itertools.product(range(NUM_TAGS), repeat=length))


@pytest.fixture
def batch():
    gen = torch.Generator().manual_seed(0)
    crf = CRF(NUM_TAGS).double()
    with torch.no_grad():
        for p in crf.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    seq_len = max(LENGTHS)
    emissions = torch.randn(len(LENGTHS), seq_len, NUM_TAGS, generator=gen, dtype=torch.float64)
    mask = torch.arange(seq_len).unsqueeze(0) < torch.tensor(LENGTHS).unsqueeze(1)
    tags = torch.randint(NUM_TAGS, (len(LENGTHS), seq_len), generator=gen)
    # garbage at padded positions must not matter
    emissions = emissions.masked_fill(~mask.unsqueeze(2), 1e3)
    tags = tags.masked_fill(~mask, NUM_TAGS - 1)
    return crf, emissions, mask, tags


def test_log_partition_matches_brute_force(batch):
    crf, emissions, mask, _ = batch
    log_z = crf.log_partition(emissions, mask)
    for b, n in enumerate(LENGTHS):
        scores = torch.stack([path_score(crf, emissions[b, :n], p) for p in all_paths(n)])
        assert log_z[b].item() == pytest.approx(torch.logsumexp(scores, 0).item(), abs=1e-9)


def test_log_likelihood_matches_brute_force(batch):
    crf, emissions, mask, tags = batch
    llh = crf.log_likelihood(emissions, tags, mask)
    for b, n in enumerate(LENGTHS):
        scores = torch.stack([path_score(crf, emissions[b, :n], p) for p in all_paths(n)])
        gold = path_score(crf, emissions[b, :n], tags[b, :n].tolist())
        assert llh[b].item() == pytest.approx((gold - torch.logsumexp(scores, 0)).item(), abs=1e-9)


def test_probabilities_sum_to_one(batch):
    crf, emissions, mask, _ = batch
    for b, n in enumerate(LENGTHS):
        em = emissions[b : b + 1, :n]
        total = sum(math.exp(crf.log_likelihood(em, torch.tensor([p])).item()) for p in all_paths(n))
        assert total == pytest.approx(1.0, abs=1e-9)


def test_neg_log_likelihood_reductions(batch):
    crf, emissions, mask, tags = batch
    llh = crf.log_likelihood(emissions, tags, mask)
    assert torch.allclose(crf.neg_log_likelihood(emissions, tags, mask, reduction="none"), -llh)
    assert crf.neg_log_likelihood(emissions, tags, mask, reduction="sum").item() == pytest.approx(
        -llh.sum().item()
    )
    assert crf(emissions, tags, mask).item() == pytest.approx(-llh.mean().item())


def test_viterbi_matches_brute_force_argmax(batch):
    crf, emissions, mask, _ = batch
    decoded = crf.decode(emissions, mask)
    assert [len(p) for p in decoded] == LENGTHS
    for b, n in enumerate(LENGTHS):
        best = max(all_paths(n), key=lambda p: path_score(crf, emissions[b, :n], p).item())
        assert decoded[b] == list(best)


def test_batched_equals_alone(batch):
    crf, emissions, mask, tags = batch
    llh = crf.log_likelihood(emissions, tags, mask)
    decoded = crf.decode(emissions, mask)
    for b, n in enumerate(LENGTHS):
        alone = crf.log_likelihood(emissions[b : b + 1, :n], tags[b : b + 1, :n])
        assert alone.item() == pytest.approx(llh[b].item(), abs=1e-9)
        assert crf.decode(emissions[b : b + 1, :n]) == [decoded[b]]


def test_gradients_are_finite(batch):
    crf, emissions, mask, tags = batch
    emissions = emissions.clone().requires_grad_(True)
    crf(emissions, tags, mask).backward()
    assert torch.isfinite(emissions.grad).all()
    assert (emissions.grad[~mask] == 0).all()


@pytest.mark.parametrize(
    "bad_mask, message",
    [
        ([[False, True, True]], "first timestep"),
        ([[True, False, True]], "prefix mask"),
    ],
)
def test_bad_masks_raise(bad_mask, message):
    crf = CRF(NUM_TAGS)
    emissions = torch.zeros(1, 3, NUM_TAGS)
    with pytest.raises(ValueError, match=message):
        crf.decode(emissions, torch.tensor(bad_mask))


def test_wrong_emission_shape_raises():
    with pytest.raises(ValueError, match=r"\(batch_size, seq_len, 3\)"):
        CRF(NUM_TAGS).log_partition(torch.zeros(1, 2, 4))
