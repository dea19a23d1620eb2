using NasActors.Core.Determinism;

namespace NasActors.Torch.Data;

/// <summary>
/// A deterministic, stratified split of a training set into a part that trains the supernet and a held-out part
/// that scores candidates during the search (the test set is touched only for final numbers). Both index arrays are
/// sorted ascending; the split is a pure function of (labels, fraction, seed).
/// </summary>
public sealed record DatasetSplit(int[] Train, int[] Validation)
{
    /// <summary>
    /// Puts round(n_c * <paramref name="validationFraction"/>) images of every class c into the validation part,
    /// chosen by a generator derived from (seed, "dataset-split", c).
    /// </summary>
    public static DatasetSplit Stratified(ImageDataset data, double validationFraction, long seed) =>
        Stratified(data.Labels, data.Classes, validationFraction, seed);

    public static DatasetSplit Stratified(IReadOnlyList<byte> labels, int classes, double validationFraction, long seed)
    {
        if (validationFraction is < 0 or >= 1 || double.IsNaN(validationFraction))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1).");
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var (c, members) in ByClass(labels, classes))
        {
            var take = (int)Math.Round(members.Count * validationFraction, MidpointRounding.AwayFromZero);
            DeterministicRandom.For(seed, "dataset-split", c).Shuffle(members);
            validation.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }
        train.Sort();
        validation.Sort();
        return new DatasetSplit(train.ToArray(), validation.ToArray());
    }

    /// <summary>
    /// Chooses exactly <paramref name="perClass"/> images of every class (fails when a class has fewer), by a
    /// generator derived from (seed, purpose, c); sorted ascending. Used to make the shipped Fashion-MNIST subset.
    /// </summary>
    public static int[] BalancedSubset(ImageDataset data, int perClass, long seed, string purpose)
    {
        var chosen = new List<int>();
        foreach (var (c, members) in ByClass(data.Labels, data.Classes))
        {
            if (members.Count < perClass)
                throw new DatasetException($"{data.Name}: class {c} has {members.Count} images, fewer than the {perClass} asked for.");
            DeterministicRandom.For(seed, purpose, c).Shuffle(members);
            chosen.AddRange(members.Take(perClass));
        }
        chosen.Sort();
        return chosen.ToArray();
    }

    private static IEnumerable<(int Class, List<int> Members)> ByClass(IReadOnlyList<byte> labels, int classes)
    {
        var byClass = new List<int>[classes];
        for (var c = 0; c < classes; c++) byClass[c] = new List<int>();
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] >= classes) throw new ArgumentOutOfRangeException(nameof(labels), $"label {labels[i]} of image {i} >= {classes}.");
            byClass[labels[i]].Add(i);
        }
        for (var c = 0; c < classes; c++) yield return (c, byClass[c]);
    }
}
