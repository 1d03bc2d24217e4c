namespace EtlFast.Core.Generation;

/// <summary>The closed word lists the seed documents draw from (UTF-8, ASCII only).</summary>
internal static class SeedVocabulary
{
    public static readonly byte[][] FirstNames = Words(
        "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
        "David", "Elizabeth", "William", "Susan", "Richard", "Jessica", "Joseph", "Sarah");

    public static readonly byte[][] LastNames = Words(
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson");

    public static readonly byte[][] StreetNames = Words("Main", "Oak", "Maple", "Pine", "Cedar", "Elm", "Lake", "Hill");

    public static readonly byte[][] StreetKinds = Words("St", "Ave", "Blvd", "Dr", "Ln", "Rd");

    // Cities and their states, index for index.
    public static readonly byte[][] Cities = Words(
        "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia",
        "San Antonio", "San Diego", "Dallas", "Seattle", "Denver", "Boston");

    public static readonly byte[][] States = Words("NY", "CA", "IL", "TX", "AZ", "PA", "TX", "CA", "TX", "WA", "CO", "MA");

    public static readonly byte[][] Roles = Words("engineer", "designer", "manager", "analyst", "developer", "consultant");

    public static readonly byte[][] Interests = Words("coding", "reading", "hiking", "gaming", "music", "travel", "cooking", "photography");

    public static readonly byte[][] Skills = Words("C#", "Python", "Rust", "Go", "Java", "TypeScript", "SQL", "Kubernetes", "React", "AWS");

    public static readonly byte[][] Institutions = Words("MIT", "Stanford", "Harvard", "UC Berkeley", "Carnegie Mellon", "State University");

    public static readonly byte[][] Degrees = Words("BS Computer Science", "MS Engineering", "MBA", "PhD", "BA Economics");

    public static readonly byte[][] CompanyFirst = Words("Tech", "Data", "Cloud", "Cyber", "Digital", "Blue");

    public static readonly byte[][] CompanySecond = Words("Corp", "Inc", "Systems", "Labs");

    public static readonly byte[][] Positions = Words("Software Engineer", "Senior Developer", "Tech Lead", "Manager", "Director");

    public static readonly byte[][] DurationEnds = Words("Present", "2022", "2023", "2024");

    public static readonly byte[][] Languages = Words("en", "es", "fr", "de", "it", "pt");

    public static readonly byte[][] Timezones = Words(
        "America/New_York", "America/Los_Angeles", "America/Chicago", "America/Denver", "Europe/London", "Europe/Berlin");

    public static readonly byte[][] Actions = Words("login", "logout", "update", "view", "delete", "search");

    public static readonly byte[][] Outcomes = Words("success", "failure", "pending");

    public static readonly byte[][] TransactionKinds = Words("purchase", "refund", "payment", "transfer");

    // File extensions and their media types, index for index.
    public static readonly byte[][] Extensions = Words(".pdf", ".png", ".jpg", ".txt", ".csv", ".zip");

    public static readonly byte[][] MediaTypes = Words(
        "application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv", "application/zip");

    public static readonly byte[][] GroupFirst = Words("Tech", "Dev", "Design", "Data", "Cloud");

    public static readonly byte[][] GroupSecond = Words("Group", "Community", "Club", "Circle");

    internal static byte[][] Words(params string[] words)
    {
        var result = new byte[words.Length][];
        for (int i = 0; i < words.Length; i++)
        {
            result[i] = System.Text.Encoding.ASCII.GetBytes(words[i]);
        }
        return result;
    }
}
