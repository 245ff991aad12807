using System.Text;

namespace ApiPipeline.Generators.Helpers;

/// <summary>
/// How names are matched and derived: URL placeholders to input members, members to query names. The generator binds with these and
/// the analyzers and code fixes compile this same file (linked into their project), so a binding they accept is one the generator makes.
/// </summary>
internal static class NameRules
{
    /// <summary>The key placeholders and members are matched by: lower case, without <c>_</c> and <c>-</c>.</summary>
    public static string Normalize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            if (c != '_' && c != '-')
            {
                text.Append(char.ToLowerInvariant(c));
            }
        }

        return text.ToString();
    }

    /// <summary><c>PerPage</c> → <c>per_page</c>, the default query name of a <c>[Query]</c> member.</summary>
    public static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    /// <summary><c>repo_name</c> → <c>RepoName</c>: the member name a placeholder asks for.</summary>
    public static string PascalCase(string placeholder)
    {
        var text = new StringBuilder(placeholder.Length);
        bool upper = true;
        foreach (char c in placeholder)
        {
            if (c == '_' || c == '-')
            {
                upper = true;
                continue;
            }

            text.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return text.ToString();
    }
}
