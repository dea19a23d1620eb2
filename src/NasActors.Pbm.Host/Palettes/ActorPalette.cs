using Akka.Actor;
using NasActors.Pbm.Protocol;

namespace NasActors.Pbm.Host.Palettes;

/// <summary>The <c>actor</c> palette: the actor tree of this node and the system's address.</summary>
public static class ActorPalette
{
    public static CommandPalette Create() => new CommandPalette("actor", "the actors of this node")
        .Command("hierarchy", "one absolute actor path per line", Hierarchy,
            CommandPalette.Switch("depth", "d", "levels below the start (0: all)", defaultValue: "0"),
            CommandPalette.Switch("start", "s", "where to start: /user, /system or a path below them (default: both)"))
        .Command("system", "the actor system's address", SystemAddress);

    private static async Task Hierarchy(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var system = (ExtendedActorSystem)r.System;
        var depth = r.Int("depth", 0, 1000);
        IActorRef[] roots = r.Get("start") is { Length: > 0 } start ? [Resolve(system, start)] : [system.Provider.Guardian, system.Provider.SystemGuardian];
        var address = system.Provider.DefaultAddress;
        foreach (var root in roots)
            await WalkAsync(root, 0);

        async Task WalkAsync(IActorRef actor, int level)
        {
            cancel.ThrowIfCancellationRequested();
            await output.WriteLineAsync(actor.Path.ToStringWithAddress(address));
            if (depth > 0 && level >= depth) return;
            if (actor is not ActorRefWithCell cell) return;
            foreach (var child in cell.Children.OrderBy(c => c.Path.Name, StringComparer.Ordinal)) await WalkAsync(child, level + 1);
        }
    }

    private static IActorRef Resolve(ExtendedActorSystem system, string path)
    {
        var elements = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (elements.Length == 0 || elements[0] is not ("user" or "system"))
            throw new CommandFailedException($"--start must be /user, /system or a path below them, got '{path}'");
        IActorRef current = elements[0] == "user" ? system.Provider.Guardian : system.Provider.SystemGuardian;
        foreach (var name in elements.Skip(1))
        {
            var child = current is ActorRefWithCell cell ? cell.GetSingleChild(name) : ActorRefs.Nobody;
            if (child is null || child.IsNobody()) throw new CommandFailedException($"no actor at {path}");
            current = child;
        }
        return current;
    }

    private static async Task SystemAddress(CommandRequest r, ICommandOutput output, CancellationToken cancel) =>
        await output.WriteLineAsync(((ExtendedActorSystem)r.System).Provider.DefaultAddress.ToString());
}
