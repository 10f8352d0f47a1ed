import './base.css';
import './snapshots.css';
import './history.css';
import './plugins.css';
