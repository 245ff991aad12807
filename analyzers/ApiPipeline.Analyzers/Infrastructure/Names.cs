using System;
using System.Collections.Generic;
using ApiPipeline.Generators.Helpers;

namespace ApiPipeline.Analyzers;

/// <summary>Typo suggestions for names; the naming rules themselves are the generator's <see cref="NameRules"/>.</summary>
internal static class Names
{
    /// <summary>The edit distance between two strings (Levenshtein, with a swap of two neighbouring characters counting as one edit).</summary>
    public static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int best = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    best = Math.Min(best, d[i - 2, j - 2] + 1);
                }

                d[i, j] = best;
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>
    /// The one candidate closest to <paramref name="name"/> (compared normalized), if it is close enough to be a typo
    /// (at most a third of the name's length, at least 1) and no other candidate is as close; otherwise <see langword="null"/>.
    /// </summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string key = NameRules.Normalize(name);
        int limit = Math.Max(1, key.Length / 3);
        string? best = null;
        int bestDistance = int.MaxValue;
        bool tie = false;
        foreach (var candidate in candidates)
        {
            int distance = Levenshtein(key, NameRules.Normalize(candidate));
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
                tie = false;
            }
            else if (distance == bestDistance && !string.Equals(best, candidate, StringComparison.Ordinal))
            {
                tie = true;
            }
        }

        return best is not null && !tie && bestDistance > 0 && bestDistance <= limit ? best : null;
    }
}
