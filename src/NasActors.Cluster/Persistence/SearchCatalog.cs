using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Protocol;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Persistence;

/// <summary>One search as the journal tells it.</summary>
public sealed record SearchSummary(string SearchId, string Name, string Status, string Controller, string Space, int Budget,
    int Evaluated, int Failed, int Generations, string? BestArchitecture, double? BestAccuracy, DateTimeOffset SubmittedAt,
    // The supernet training method (spos, fairnas, ...), null when the search trains none; added later, so optional.
    string? Method = null) : INasMessage;

/// <summary>
/// The projection that lists searches and their progress from the journal (Persistence.Query), without waking their
/// actors: it folds each <c>search-*</c> stream of events into a <see cref="SearchSummary"/>.
/// </summary>
public sealed class SearchCatalog(ActorSystem system, string readJournalId = "akka.persistence.query.journal.sql")
{
    private readonly IMaterializer _materializer = system.Materializer();

    private object Journal => PersistenceQuery.Get(system).ReadJournalFor<IReadJournal>(readJournalId);

    public async Task<IReadOnlyList<SearchSummary>> ListAsync(CancellationToken cancel = default)
    {
        var ids = await ((ICurrentPersistenceIdsQuery)Journal).CurrentPersistenceIds()
            .Where(id => id.StartsWith("search-", StringComparison.Ordinal))
            .RunAggregate(new List<string>(), (l, id) => { l.Add(id); return l; }, _materializer);
        var result = new List<SearchSummary>();
        foreach (var id in ids.Order(StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            var s = await GetAsync(id["search-".Length..], cancel);
            if (s is not null) result.Add(s);
        }
        return result;
    }

    /// <summary>The summary of one search, or null when the journal has no such search.</summary>
    public async Task<SearchSummary?> GetAsync(string searchId, CancellationToken cancel = default)
    {
        var fold = await ((ICurrentEventsByPersistenceIdQuery)Journal)
            .CurrentEventsByPersistenceId(SearchActor.PersistenceIdOf(searchId), 0, long.MaxValue)
            .RunAggregate(new Fold(searchId), (f, env) => f.Add(env.Event), _materializer);
        return fold.Summary();
    }

    private sealed class Fold(string id)
    {
        private SearchSummary? _s;
        private readonly Dictionary<int, string> _proposed = new();
        private readonly HashSet<int> _resolved = new();

        public Fold Add(object e)
        {
            switch (e)
            {
                case SearchSubmitted s:
                    _s = new SearchSummary(id, s.Spec.Name, s.Spec.NeedsSupernet ? SearchStatusNames.Training : SearchStatusNames.Running,
                        s.Spec.Controller, s.Spec.Space, s.Spec.Budget, 0, 0, 0, null, null, s.At,
                        s.Spec.NeedsSupernet ? s.Spec.Training.Method : null);
                    break;
                case SupernetReady when _s is not null:
                    if (_s.Status == SearchStatusNames.Training) _s = _s with { Status = SearchStatusNames.Running };
                    break;
                case CandidatesProposed p:
                    foreach (var j in p.Jobs) _proposed[j.JobId] = j.Architecture;
                    break;
                case EvaluationRecorded r when _s is not null && _resolved.Add(r.JobId):
                    _s = _s with { Evaluated = _s.Evaluated + 1 };
                    if (_s.BestAccuracy is null || r.Metrics.Accuracy > _s.BestAccuracy)
                        _s = _s with { BestAccuracy = r.Metrics.Accuracy, BestArchitecture = r.Architecture };
                    break;
                case EvaluationFailed { Final: true } f when _s is not null && _resolved.Add(f.JobId):
                    _s = _s with { Failed = _s.Failed + 1 };
                    break;
                case GenerationCompleted g when _s is not null:
                    _s = _s with { Generations = Math.Max(_s.Generations, g.Generation + 1) };
                    break;
                case SearchPaused when _s is not null: _s = _s with { Status = SearchStatusNames.Paused }; break;
                case SearchResumed when _s is not null: _s = _s with { Status = SearchStatusNames.Running }; break;
                case SearchCancelled when _s is not null: _s = _s with { Status = SearchStatusNames.Cancelled }; break;
                case SearchFailed when _s is not null: _s = _s with { Status = SearchStatusNames.Failed }; break;
                case SearchCompleted when _s is not null: _s = _s with { Status = SearchStatusNames.Completed }; break;
            }
            return this;
        }

        public SearchSummary? Summary() => _s;
    }
}
