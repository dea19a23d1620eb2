using Akka.Actor;
using Akka.Cluster.Sharding;
using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Population;

/// <summary>
/// Runs populations as children of one local actor, by search id: what sharding does on a cluster, for tests and
/// single-process runs. Like a shard, it handles <see cref="Passivate"/>: messages for a child that is
/// stopping are kept and delivered to its next incarnation.
/// </summary>
public sealed class SearchParent : ReceiveActor
{
    private readonly Dictionary<IActorRef, List<(object Message, IActorRef Sender)>> _stopping = new();

    public static Props Props(Func<string, Props> population) => Akka.Actor.Props.Create(() => new SearchParent(population));

    public SearchParent(Func<string, Props> population)
    {
        Receive<IWithSearchId>(m =>
        {
            var name = Uri.EscapeDataString(m.SearchId);
            var child = Context.Child(name);
            if (!child.IsNobody() && _stopping.TryGetValue(child, out var buffer)) { buffer.Add((m, Sender)); return; }
            if (child.IsNobody()) child = Context.ActorOf(population(m.SearchId), name);
            child.Forward(m);
        });
        Receive<Passivate>(p =>
        {
            if (_stopping.ContainsKey(Sender)) return;
            _stopping[Sender] = [];
            Context.Watch(Sender);
            Sender.Tell(p.StopMessage);
        });
        Receive<Terminated>(t =>
        {
            if (!_stopping.Remove(t.ActorRef, out var buffer)) return;
            foreach (var (message, sender) in buffer) Self.Tell(message, sender);
        });
    }
}
