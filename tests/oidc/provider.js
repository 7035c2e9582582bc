// A real OpenID provider on 127.0.0.1 for the single sign-on tests: node-oidc-provider with its
// development login pages (any password is accepted; the login typed is the account).
// Usage: node provider.js PORT. Prints "ready" once discovery is served.
import Provider from "oidc-provider";

const port = process.argv[2];
// The app under test listens on a new port in each test: any 127.0.0.1 port is allowed, the
// paths exactly (a real deployment registers one https address instead).
const CALLBACK = /^http:\/\/127\.0\.0\.1:\d+\/sso\/callback$/;
const AFTER_LOGOUT = /^http:\/\/127\.0\.0\.1:\d+\/login$/;

// The login names the account; its email is verified unless the login starts "unverified".
// A login starting "lead" carries the group that the tests map to the manager role.
function claimsFor(login) {
  return {
    sub: login,
    email: login,
    email_verified: !login.startsWith("unverified"),
    name: login.split("@")[0],
    groups: login.startsWith("lead") ? ["send-leads"] : ["send-staff"],
  };
}

const configuration = {
  clients: [
    {
      client_id: "outcomes-test",
      client_secret: "outcomes-test-secret",
      redirect_uris: ["http://127.0.0.1:5000/sso/callback"],
      post_logout_redirect_uris: ["http://127.0.0.1:5000/login"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  // PKCE for every client, even confidential ones (the default asks it only of public clients).
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
    groups: ["groups"],
  },
  scopes: ["openid", "email", "profile", "groups"],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ["outcomes-test-cookie-key"] },
  async findAccount(ctx, id) {
    return { accountId: id, claims: async () => claimsFor(id) };
  },
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
provider.Client.prototype.redirectUriAllowed = (uri) => CALLBACK.test(uri);
provider.Client.prototype.postLogoutRedirectUriAllowed = (uri) => AFTER_LOGOUT.test(uri);
// Only the tests read its warnings about development settings.
provider.on("server_error", (ctx, error) => console.error("server_error", error));
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
