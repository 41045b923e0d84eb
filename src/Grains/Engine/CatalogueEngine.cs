using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <summary>
/// The streaming catalogue of SPEC §2: songs are virtual grains addressed by id (and by their
/// insertion ordinal), stored in shards; events are applied one at a time in log order, each in
/// time linear in the catalogue size. No I/O: state in, state out (snapshots to a stream).
/// </summary>
/// <remarks>
/// <para>Per song: its packed SKL row, a quantile sketch of its distances to all other live songs
/// (Q knots, count, mean, M2), an exact list of its L nearest SKL neighbours (the SKL k-NN list is its
/// first k entries), a buffer of the m best candidates under the served MP with their cached MP
/// distances, the MP k-NN list (the first k of the buffer) and O^k under both relations.</para>
/// <para>The served MP is mp-quantile with exact low tails: F_y(d) is the exact count of y's tail
/// entries ≤ d while d lies below the tail's last entry, and max(tail size, sketch count) above it.
/// D_MP(y,t) = F_y + F_t − F_y·F_t = 1 − S_y·S_t with F = count / (live songs − 1).</para>
/// <para>Pair distances are always the kernel's value for (query of the later song, row of the
/// earlier song), so every pair has one float32 distance whatever code path computed it.</para>
/// <para>Determinism: parallel work is per shard or per song and writes only that shard's or
/// song's state; every cross-song effect (O^k deltas, alerts) is merged sequentially in ordinal
/// order, so the state is bit-identical for any degree of parallelism.</para>
/// </remarks>
public sealed partial class CatalogueEngine
{
    private const int Stride = SklPacking.Stride;
    private const int Dim = GaussianModel.Dimension;
    private const int LowSetMinimum = 256;
    private const int SketchSample = 2048;

    private readonly EngineOptions _options;
    private readonly double[] _centre;
    private readonly List<Shard> _shards = [];
    private readonly List<string> _ids = [];
    private readonly Dictionary<string, int> _ordinals = new(StringComparer.Ordinal);
    private readonly HubnessTracker _skl;
    private readonly HubnessTracker _mp;
    private readonly ParallelOptions _parallel;
    private readonly List<Alert> _alerts = [];
    private readonly SortedSet<int> _touched = [];
    private readonly bool[] _driftState = new bool[6];
    private float[] _distances = new float[1024];
    private bool _centreFixed;
    private int _live;
    private int _refreshCursor;
    private long _lastSequence;
    private long _anomalyCount;
    private double _anomalyMean;
    private double _anomalyM2;

    /// <summary>An empty engine.</summary>
    /// <param name="options">Settings (validated).</param>
    /// <param name="centre">The fixed MFCC centre m0 of the packed rows for the engine's whole life; null: the first song's mean.</param>
    public CatalogueEngine(EngineOptions? options = null, ReadOnlySpan<double> centre = default)
    {
        _options = options ?? new EngineOptions();
        _options.Validate();
        _centre = new double[Dim];
        if (!centre.IsEmpty)
        {
            if (centre.Length != Dim)
            {
                throw new ArgumentException($"Centre must have {Dim} values.", nameof(centre));
            }

            centre.CopyTo(_centre);
            _centreFixed = true;
        }

        _skl = new HubnessTracker(_options.K, _options.HubSize);
        _mp = new HubnessTracker(_options.K, _options.HubSize);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism };
    }

    /// <summary>The settings.</summary>
    public EngineOptions Options => _options;

    /// <summary>Live songs.</summary>
    public int Count => _live;

    /// <summary>Ordinals handed out so far (live and deleted songs).</summary>
    public int OrdinalCount => _ids.Count;

    /// <summary>Sequence number of the last applied event (0 before any).</summary>
    public long LastSequence => _lastSequence;

    /// <summary>The fixed centre m0 of the packed rows.</summary>
    public ReadOnlySpan<double> Centre => _centre;

    /// <summary>Applies one event and returns the alerts it raised (in a deterministic order).</summary>
    /// <exception cref="ArgumentException">Out-of-order sequence number, duplicate or unknown id.</exception>
    public IReadOnlyList<Alert> Apply(CatalogueEvent catalogueEvent)
    {
        ArgumentNullException.ThrowIfNull(catalogueEvent);
        _alerts.Clear();
        switch (catalogueEvent)
        {
            case InsertSong insert:
                CheckSequence(insert.Sequence);
                CheckNewId(insert.Id);
                InsertOne(insert);
                break;
            case InsertBatch batch:
                ApplyBatch(batch);
                break;
            case DeleteSong delete:
                CheckSequence(delete.Sequence);
                Delete(delete);
                break;
            default:
                throw new ArgumentException($"Unknown event type {catalogueEvent.GetType().Name}.", nameof(catalogueEvent));
        }

        return _alerts.ToArray();
    }

    private void CheckSequence(long sequence)
    {
        if (sequence <= _lastSequence)
        {
            throw new ArgumentException($"Sequence {sequence} is not after the last applied {_lastSequence}.", nameof(sequence));
        }
    }

    private void CheckNewId(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (_ordinals.ContainsKey(id))
        {
            throw new ArgumentException($"Song '{id}' already exists.", nameof(id));
        }
    }

    private (Shard Shard, int Local) Locate(int ordinal)
    {
        var c = _options.ShardCapacity;
        return (_shards[ordinal / c], ordinal % c);
    }

    private bool IsAlive(int ordinal)
    {
        var (s, l) = Locate(ordinal);
        return s.Alive[l];
    }

    private void EnsureCentre(GaussianModel model)
    {
        if (!_centreFixed)
        {
            model.Mean.CopyTo(_centre);
            _centreFixed = true;
        }
    }

    private int AllocateSlot(string id, long sequence)
    {
        var ordinal = _ids.Count;
        var c = _options.ShardCapacity;
        if (ordinal / c >= _shards.Count)
        {
            _shards.Add(new Shard(_shards.Count * c, c, _options));
        }

        var (s, l) = Locate(ordinal);
        s.Used = l + 1;
        s.Alive[l] = true;
        s.InsertedAt[l] = sequence;
        s.Headers[l] = SketchHeader.Empty;
        _ids.Add(id);
        _ordinals.Add(id, ordinal);
        if (_distances.Length < _ids.Count)
        {
            Array.Resize(ref _distances, Math.Max(_ids.Count, _distances.Length * 2));
        }

        return ordinal;
    }

    private void InsertOne(InsertSong insert)
    {
        EnsureCentre(insert.Model);
        Span<float> query = stackalloc float[Stride];
        SklPacking.PackQuery(insert.Model, _centre, query);
        var n = _ids.Count;
        var distances = _distances;
        var queryArray = query.ToArray();
        Parallel.For(0, _shards.Count, _parallel, si =>
        {
            var s = _shards[si];
            SklKernel.OneToMany(queryArray, s.Rows.AsSpan(0, s.Used * Stride), distances.AsSpan(s.First, s.Used));
        });
        var ordinal = AllocateSlot(insert.Id, insert.Sequence);
        var (shard, local) = Locate(ordinal);
        SklPacking.PackRow(insert.Model, _centre, shard.Row(local));
        InsertCore(ordinal, _distances, insert.Sequence);
        _lastSequence = insert.Sequence;
        FinishEvent(insert.Sequence);
    }
}
