import './base.css';
import './plugins.css';
