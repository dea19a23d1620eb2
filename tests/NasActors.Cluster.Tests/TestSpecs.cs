using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Tests;

/// <summary>Specs the tests submit: stub evaluation, so no tensors run.</summary>
public static class TestSpecs
{
    public static string Table => Path.Combine(AppContext.BaseDirectory, "data", "nb201-cifar10.csv");

    /// <summary>Evolution on the FMNIST MBConv space with synthetic stub scores (no supernet).</summary>
    public static string SyntheticHocon(int budget = 24, long seed = 7, string extra = "", string evaluation = "") => $$"""
        search {
          name = synthetic
          space = fmnist-mbconv
          dataset = none
          seed = {{seed}}
          budget = {{budget}}
          top-k = 5
          max-attempts = 3
          controller { name = evolution, settings { population = 8, top_k = 3, mutation_children = 4, crossover_children = 2, generations = 50 } }
          evaluation { kind = stub {{evaluation}} }
          {{extra}}
        }
        """;

    public static SearchSpec Synthetic(int budget = 24, long seed = 7, string evaluation = "") =>
        SpecReader.ReadText(SyntheticHocon(budget, seed, evaluation: evaluation));

    /// <summary>Evolution on the NAS-Bench-201 table (stub results from the table).</summary>
    public static SearchSpec Tabular(int budget = 40, long seed = 3, int population = 10) => SpecReader.ReadText($$"""
        search {
          name = tabular
          space = table
          seed = {{seed}}
          budget = {{budget}}
          controller { name = evolution, settings { population = {{population}}, top_k = 3, mutation_children = 5, crossover_children = 3, generations = 1000 } }
          evaluation { kind = stub, table = "{{Table}}", signal = valid12 }
        }
        """);

    /// <summary>Needs a supernet (kind = torch): the tests give the stub trainer and a stub behind the torch kind.</summary>
    public static SearchSpec Supernet(int budget = 16, string evaluateOn = "final") => SpecReader.ReadText($$"""
        search {
          name = supernet
          space = fmnist-mbconv
          dataset = fmnist-embedded
          seed = 5
          budget = {{budget}}
          controller { name = evolution, settings { population = 8, top_k = 3, mutation_children = 4, crossover_children = 2 } }
          training { method = fairnas, steps = 6, checkpoint-every = 2, evaluate-on = {{evaluateOn}} }
          evaluation { kind = torch }
        }
        """);

    /// <summary>A derived search: the stub trainer's distribution of a differentiable method, its argmax and the next
    /// most probable architectures scored by a stub behind the torch kind.</summary>
    public static string DerivedHocon(string method = "darts", int budget = 6, int steps = 6, string methodBlock = "", string evaluateOn = "final",
        string controller = "derived") => $$"""
        search {
          name = derived
          space = fmnist-mbconv
          dataset = fmnist-embedded
          seed = 5
          budget = {{budget}}
          controller { name = {{controller}}, settings { batch = 4 } }
          training { method = {{method}}, steps = {{steps}}, checkpoint-every = 2, evaluate-on = {{evaluateOn}}
            {{(method == "spnas" ? $"spnas {{ latency-table = \"{LatencyTable}\" }}" : "")}}
            {{methodBlock}}
          }
          evaluation { kind = torch }
        }
        """;

    /// <summary>The latency table measured on the 2-core CPU (docs/latency-fmnist-mbconv-cpu.json, copied next to the tests).</summary>
    public static string LatencyTable => Path.Combine(AppContext.BaseDirectory, "docs", "latency-fmnist-mbconv-cpu.json");

    public static SearchSpec Derived(string method = "darts", int budget = 6, int steps = 6) => SpecReader.ReadText(DerivedHocon(method, budget, steps));
}
