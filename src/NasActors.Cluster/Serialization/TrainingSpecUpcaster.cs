using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Serialization;

/// <summary>
/// The one place where a stored <see cref="TrainingSpec"/> of an older version is brought up to date. Every
/// TrainingSpec is written with all its values (resolved when the spec was read, from the torch layer's defaults of
/// that day), so a search replays with the training it was started with. A journal written before a key existed
/// lacks it; its value is the one that applied then, frozen below as a literal: reading the current constants of the
/// torch layer (as the constructor's defaults would) would change an old search whenever a default changes.
/// A stored TrainingSpec that lacks any other value is an error naming the key: a new key needs its line here.
/// </summary>
public sealed class TrainingSpecUpcaster(JsonSerializerOptions plain) : JsonConverter<TrainingSpec>
{
    /// <summary>Keys added after the first journals, with the value every search had before them.</summary>
    public static IReadOnlyList<(string Key, JsonNode? Value)> Before { get; } =
    [
        // Before d9a35a1 (training.mean-gradients) FairNAS summed the path gradients.
        (nameof(TrainingSpec.MeanGradients), JsonValue.Create(false)),
        // Before 2af1344 (training.momentum, weight-decay, label-smoothing) the trainer's fixed values.
        (nameof(TrainingSpec.Momentum), JsonValue.Create(0.9)),
        (nameof(TrainingSpec.WeightDecay), JsonValue.Create(4e-5)),
        (nameof(TrainingSpec.LabelSmoothing), JsonValue.Create(0.1)),
        // Before the per-method settings block (training.METHOD { ... }): every method at its published defaults.
        (nameof(TrainingSpec.MethodSettings), new JsonObject()),
    ];

    private static readonly string[] Keys = typeof(TrainingSpec).GetConstructors().Single().GetParameters().Select(p => p.Name!).ToArray();

    public override TrainingSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (JsonNode.Parse(ref reader) is not JsonObject json) throw new JsonException("A TrainingSpec must be a JSON object.");
        foreach (var (key, value) in Before)
            if (!json.ContainsKey(key)) json[key] = value?.DeepClone();
        var missing = Keys.Where(k => !json.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
            throw new JsonException($"The stored TrainingSpec lacks {string.Join(", ", missing.Select(k => $"'{k}'"))} " +
                                    "and TrainingSpecUpcaster knows no value for it.");
        return json.Deserialize<TrainingSpec>(plain) ?? throw new JsonException("A TrainingSpec must not be null.");
    }

    public override void Write(Utf8JsonWriter writer, TrainingSpec value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, plain);
}
