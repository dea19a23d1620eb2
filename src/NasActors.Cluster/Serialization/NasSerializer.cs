using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Serialization;

/// <summary>
/// The one serializer of every <see cref="INasMessage"/> (events, snapshots, remote messages): System.Text.Json with
/// the type named by a string manifest (the type's name below the NasActors.Cluster namespace). Records keep their
/// property names, so a journal written by one version stays readable while properties are only added.
/// </summary>
public sealed class NasSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4711;

    /// <summary>The HOCON that binds this serializer to the protocol marker.</summary>
    public const string Hocon = """
        akka.actor {
          serializers.nas = "NasActors.Cluster.Serialization.NasSerializer, NasActors.Cluster"
          serialization-bindings { "NasActors.Cluster.Protocol.INasMessage, NasActors.Cluster" = nas }
          serialization-identifiers { "NasActors.Cluster.Serialization.NasSerializer, NasActors.Cluster" = 4711 }
        }
        """;

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    private static readonly FrozenDictionary<string, Type> TypesByManifest = MessageTypes()
        .ToFrozenDictionary(ManifestOf, t => t, StringComparer.Ordinal);

    /// <summary>Every concrete message type of the protocol (what the round-trip tests cover).</summary>
    public static IReadOnlyList<Type> MessageTypes() => typeof(INasMessage).Assembly.GetTypes()
        .Where(t => typeof(INasMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .OrderBy(t => t.FullName, StringComparer.Ordinal).ToArray();

    public static string ManifestOf(Type type)
    {
        const string prefix = "NasActors.Cluster.";
        var name = type.FullName ?? throw new ArgumentException($"Type {type} has no name.");
        return name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => ManifestOf(o.GetType());

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypesByManifest.TryGetValue(manifest, out var type))
            throw new System.Runtime.Serialization.SerializationException($"NasSerializer: unknown manifest '{manifest}'.");
        return JsonSerializer.Deserialize(bytes, type, Options)
               ?? throw new System.Runtime.Serialization.SerializationException($"NasSerializer: '{manifest}' deserialized to null.");
    }
}
