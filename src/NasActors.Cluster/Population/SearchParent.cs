using Akka.Actor;
using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Population;

/// <summary>
/// Runs populations as children of one local actor, by search id: what sharding does on a cluster, for tests and
/// single-process runs without cluster. A child that stopped is made again by the next message (and recovers).
/// </summary>
public sealed class SearchParent : ReceiveActor
{
    public static Props Props(Func<string, Props> population) => Akka.Actor.Props.Create(() => new SearchParent(population));

    public SearchParent(Func<string, Props> population)
    {
        Receive<IWithSearchId>(m =>
        {
            var name = Uri.EscapeDataString(m.SearchId);
            var child = Context.Child(name);
            if (child.IsNobody()) child = Context.ActorOf(population(m.SearchId), name);
            child.Forward(m);
        });
    }
}
