using Akka.Configuration;
using Akka.Hosting;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Persistence;

/// <summary>Registration of the journal and snapshot store.</summary>
public static class PersistenceHosting
{
    /// <summary>Akka.Persistence.Sql on PostgreSQL, or on the node's SQLite files (prepared first).</summary>
    public static AkkaConfigurationBuilder AddSearchPersistence(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        Config persistence;
        if (o.PersistenceBackend == PersistenceBackend.Postgres) persistence = PostgresPersistence.Config(o.PostgresConnection!);
        else
        {
            SqlitePersistence.Prepare(o.JournalFile, o.SnapshotFile);
            persistence = SqlitePersistence.Config(o.JournalFile, o.SnapshotFile);
        }
        return builder.AddHocon(persistence, HoconAddMode.Append);
    }
}
